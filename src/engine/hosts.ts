/**
 * The Host-header allowlist against DNS rebinding, and the Origin check for WebSocket upgrades
 * (CVE-2018-14732 class). Loopback names are always allowed; anything else must be listed.
 */
import type { MountsConfig } from './spec';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

const MEMO_LIMIT = 256;

export class HostPolicy {
  private readonly allowed: ReadonlySet<string>;
  /** Host header values repeat on every request: remember the verdict for the last few hundred. */
  private readonly verdicts = new Map<string, string | null>();

  constructor(config: Pick<MountsConfig, 'host' | 'allowedHosts' | 'mounts'>) {
    const names = new Set<string>(LOOPBACK_NAMES);
    for (const name of config.allowedHosts) names.add(name);
    // The bind address and hosts a mount is bound to were named by the user, so they are allowed.
    if (config.host !== '0.0.0.0' && config.host !== '::') names.add(bracketIpv6(config.host.toLowerCase()));
    for (const mount of config.mounts) if (mount.host !== undefined) names.add(mount.host);
    this.allowed = names;
  }

  /** True when `hostname` (lower-case, no port) may be served. */
  allowsName(hostname: string): boolean {
    return this.allowed.has(hostname) || hostname.endsWith('.localhost');
  }

  /** Checks a Host header value or an absolute-form authority; returns the hostname or undefined. */
  checkHost(hostHeader: string): string | undefined {
    const known = this.verdicts.get(hostHeader);
    if (known !== undefined) return known ?? undefined;
    const hostname = hostnameOf(hostHeader);
    const verdict = hostname !== undefined && this.allowsName(hostname) ? hostname : undefined;
    if (this.verdicts.size >= MEMO_LIMIT) this.verdicts.clear();
    this.verdicts.set(hostHeader, verdict ?? null);
    return verdict;
  }

  /** An upgrade's Origin must be one of ours: an allowed name, on the server's own port. */
  allowsOrigin(origin: string, serverPort: number): boolean {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
    return port === serverPort && this.allowsName(url.hostname.toLowerCase());
  }
}

/** 'Example.test:8080' -> 'example.test'; '[::1]:80' -> '[::1]'; undefined when malformed. */
export function hostnameOf(hostHeader: string): string | undefined {
  const value = hostHeader.trim().toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    if (end === -1) return undefined;
    const rest = value.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined;
    return value.slice(0, end + 1);
  }
  const colon = value.indexOf(':');
  const name = colon === -1 ? value : value.slice(0, colon);
  if (colon !== -1 && !/^\d{1,5}$/.test(value.slice(colon + 1))) return undefined;
  // '_' as config.ts's HOST_NAME allows it (container and compose service names).
  if (name === '' || !/^[a-z0-9_.-]+$/.test(name)) return undefined;
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

function bracketIpv6(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
