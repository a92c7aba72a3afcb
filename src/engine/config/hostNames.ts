/** What a host name may be, in mounts.json and in what Mounts writes for other programs. */

/** Why `host` (lower-cased, non-empty) is not a plain host name, or undefined when it is one. */
export function hostNameProblem(host: string): string | undefined {
  if (host.includes('://')) {
    let name = '';
    try {
      name = new URL(host).hostname;
    } catch {
      // keep the generic advice
    }
    return `must be a host name without a scheme${name ? `, like "${name}"` : ''}`;
  }
  if (host.includes('*')) return 'must be a host name; wildcards are not supported';
  if (host.includes('/')) return `must be a host name without a path, like "${host.slice(0, host.indexOf('/'))}"`;
  if (/^[^:[\]]+:\d*$/.test(host) || /^\[[^\]]*\]:\d*$/.test(host)) {
    return `must be a host name without a port, like "${host.slice(0, host.lastIndexOf(':'))}"`;
  }
  if (!host.startsWith('[') && host.includes(':')) {
    return `is an IPv6 address; write it in brackets, like "[${host}]"`;
  }
  if (!HOST_NAME.test(host)) return 'is not a valid host name';
  return undefined;
}

/** A name to bind: DNS labels (underscores allowed inside, as in container names). */
export const BIND_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?)*$/;

/** DNS-style names (underscores allowed, as in container names) or a bracketed IPv6 address. */
export const HOST_NAME = /^(?:[a-z0-9_-]+(?:\.[a-z0-9_-]+)*|\[[0-9a-f:.]+\])$/;
