/** A proxy's target: what the upstream may be, said before anything is served or exported. */
import type { Node } from 'jsonc-parser';
import type { FieldReport } from '../kind';

/** A target's host as the URL parser leaves it (lower case, IDNs in punycode): a name to look up, optionally fully qualified, or an IP address. */
const TARGET_HOST = /^(?:[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?)*\.?|\[[0-9a-f:.]+\])$/;

/** An absolute http: or https: URL with no query, fragment or credentials; a trailing '/' is dropped. */
export function proxyTarget(node: Node, field: string, report: FieldReport): string | undefined {
  if (node.type !== 'string') return void report.expected(node, field, 'an http: or https: URL');
  const raw = node.value as string;
  const fail = (why: string) => void report.at(node, field, `${field} ${JSON.stringify(raw)} ${why}`);
  if (raw === '') return void report.at(node, field, `${field} must not be empty`);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw)?.[1]?.toLowerCase();
  if (scheme === undefined) return fail(`must be an absolute http: URL, like "http://${raw.replace(/^\/+/, '')}"`);
  if (scheme === 'ws' || scheme === 'wss') {
    const http = scheme === 'ws' ? 'http' : 'https';
    return fail(`must be an http: or https: URL; WebSocket upgrades are proxied to the same target, like "${http}://${raw.slice(scheme.length + 3)}"`);
  }
  if (scheme !== 'http' && scheme !== 'https') return fail(`must be an http: or https: URL, not ${scheme}:`);
  if (/\s/.test(raw)) return fail('must not contain spaces');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail('is not a valid URL');
  }
  const authority = raw.slice(scheme.length + 3).split(/[/?#]/)[0];
  if (authority.includes('@')) {
    return fail('must not contain credentials ("user@")');
  }
  if (raw.includes('?')) return fail('must not have a query ("?")');
  if (raw.includes('#')) return fail('must not have a fragment ("#")');
  // nginx reads `$name` as a variable: a target written into an export would let a request header pick the upstream.
  if (raw.includes('$')) return fail('must not contain "$"');
  if (raw.includes('\\')) return fail('must not contain "\\"; write "/"');
  // The URL parser keeps `; { } ' !` and the like in a host name, and they are no host's.
  if (!TARGET_HOST.test(url.hostname)) return fail(`has an invalid host ${JSON.stringify(url.hostname)}: write a host name (letters, digits, "-", "_" and ".") or an IP address`);
  return url.origin + url.pathname.replace(/\/+$/, '');
}
