/**
 * What every export target writes, decided once from a `MountsConfig`: which sites (server blocks,
 * HTTPRoutes) exist, under which names, and for each the routes it serves in Mounts' order.
 *
 * Static mounts are served by the front itself; proxy mounts go straight to their target; every
 * other kind (module, command, and any kind added later) runs code that only Mounts can run, so it
 * is proxied, prefix kept, to the app server (`mounts serve --only <kinds>`), which routes it again.
 */
import type { MountSpec, MountsConfig, ProxyMountSpec, StaticMountSpec } from '../spec';

const DEFAULT_PORT = 8080;

/** Names `HostPolicy` always accepts (besides `*.localhost`). */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

export interface Upstream {
  /** `http` or `https`. */
  readonly scheme: string;
  /** `host:port` as written in the target (IPv6 in brackets); the port is always present. */
  readonly hostPort: string;
  /** The target's path without a trailing slash; '' for none. */
  readonly basePath: string;
}

interface RouteBase {
  /** Normalized prefix: '/' or '/a/b'. */
  readonly prefix: string;
  readonly mount: MountSpec;
}

export interface StaticRoute extends RouteBase {
  readonly kind: 'static';
  readonly mount: StaticMountSpec;
}

/** A proxy mount, or a mount served by the app server. */
export interface ProxyRoute extends RouteBase {
  readonly kind: 'proxy';
  readonly upstream: Upstream;
  /** Send the path without the prefix. */
  readonly strip: boolean;
  /** Seconds of upstream silence before 504; undefined leaves the target's default. */
  readonly timeout?: number;
  /** The app server: it strips, rewrites and sets `X-Forwarded-Prefix` itself. */
  readonly appServer: boolean;
}

export type Route = StaticRoute | ProxyRoute;

export interface Site {
  /** Host names this site answers; the default site also answers `*.localhost`. */
  readonly names: readonly string[];
  /** Set for a site of host-bound mounts: the mount's `host`. */
  readonly host?: string;
  /** Longest prefix first, so a first match is Mounts' longest match. */
  readonly routes: readonly Route[];
  /** Host-less mounts this host's own mounts hide (Mounts tries a host's mounts first). */
  readonly hidden: readonly MountSpec[];
}

export interface ExportPlan {
  readonly config: MountsConfig;
  /** The address the front listens on: mounts.json's `host` and `port` (8080 for port 0). */
  readonly listenHost: string;
  readonly listenPort: number;
  /** The default site first, then one per mount host, sorted by name. */
  readonly sites: readonly Site[];
  /** Set when some mount needs it. */
  readonly appServer?: { readonly url: string; readonly kinds: readonly string[] };
  /** Mounts no target can write safely, each with the reason (a warning in every export). */
  readonly skipped: readonly { readonly mount: MountSpec; readonly reason: string }[];
}

export interface PlanOptions {
  /** Where `mounts serve --only …` listens; default `http://127.0.0.1:<port + 1>`. */
  readonly appServer?: string;
}

export function planExport(config: MountsConfig, options: PlanOptions = {}): ExportPlan {
  // Port 0 (any free port) means nothing to a front that others must find: it gets the default.
  const listenPort = config.port === 0 ? DEFAULT_PORT : config.port;
  const appServerUrl = options.appServer ?? `http://127.0.0.1:${listenPort + 1}`;
  const appServerUpstream = parseUpstream(appServerUrl, '--app-server');
  const appKinds = new Set<string>();
  const routeOf = (mount: MountSpec): Route => {
    if (mount.kind === 'static') return { kind: 'static', prefix: mount.prefix, mount };
    if (mount.kind === 'proxy') return proxyRoute(mount);
    appKinds.add(mount.kind);
    return { kind: 'proxy', prefix: mount.prefix, mount, upstream: appServerUpstream, strip: false, appServer: true };
  };
  const skipped = [...config.mounts].sort(byHostAndPrefix).flatMap((mount) => {
    const reason = unsafeReason(mount);
    return reason === undefined ? [] : [{ mount, reason }];
  });
  const exported = config.mounts.filter((mount) => !skipped.some((skip) => skip.mount === mount));
  const hostless = exported.filter((mount) => mount.host === undefined);
  const hosts = [...new Set(exported.flatMap((mount) => (mount.host === undefined ? [] : [mount.host])))].sort();
  const defaultNames = [...LOOPBACK_NAMES, ...bindName(config.host), ...config.allowedHosts].filter(
    (name, index, all) => all.indexOf(name) === index && !hosts.includes(name),
  );
  const sites: Site[] = [{ names: defaultNames, routes: sortRoutes(hostless.map(routeOf)), hidden: [] }];
  for (const host of hosts) {
    const own = exported.filter((mount) => mount.host === host);
    // Mounts walks a host's own prefixes first and falls back to host-less ones only when none
    // matches, so a host-less prefix at or below one of the host's prefixes is never reached there.
    const covered = (prefix: string) => own.some((mount) => isAtOrBelow(prefix, mount.prefix));
    const reachable = hostless.filter((mount) => !covered(mount.prefix));
    sites.push({
      names: [host],
      host,
      routes: sortRoutes([...own, ...reachable].map(routeOf)),
      hidden: sortRoutes(hostless.filter((mount) => covered(mount.prefix)).map(routeOf)).map((route) => route.mount),
    });
  }
  return {
    config,
    listenHost: config.host,
    listenPort,
    sites,
    appServer: appKinds.size ? { url: appServerUrl, kinds: [...appKinds].sort() } : undefined,
    skipped,
  };
}

/**
 * Prefixes and folders are written into configuration languages where `$`, quotes, `;`, braces and
 * percent-escapes mean something (nginx and Caddy match decoded paths): rather than risk a route
 * that silently differs, such a mount is left out with a warning.
 */
const SAFE_PREFIX = /^\/[A-Za-z0-9._~\/-]*$/;
const UNSAFE_FOLDER = /["'$\\{};#\s`]/;

function unsafeReason(mount: MountSpec): string | undefined {
  if (!SAFE_PREFIX.test(mount.prefix)) {
    return `its prefix has characters other than letters, digits and . _ ~ - /, which the targets match differently`;
  }
  if (mount.kind === 'static' && UNSAFE_FOLDER.test(mount.root)) {
    return `its folder path ${JSON.stringify(mount.root)} has a quote, $, \\, brace, ; , # or space`;
  }
  return undefined;
}

function proxyRoute(mount: ProxyMountSpec): ProxyRoute {
  return {
    kind: 'proxy',
    prefix: mount.prefix,
    mount,
    upstream: parseUpstream(mount.target, `${mount.name}'s target`),
    strip: mount.stripPrefix,
    timeout: mount.timeout,
    appServer: false,
  };
}

/** `http(s)://host[:port][/path]`: the pieces every target writes separately. */
export function parseUpstream(target: string, what: string): Upstream {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new Error(`${what} "${target}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${what} "${target}" must be an http: or https: URL`);
  const scheme = url.protocol.slice(0, -1);
  const port = url.port || (scheme === 'https' ? '443' : '80');
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return { scheme, hostPort: `${url.hostname}:${port}`, basePath: path };
}

/** Longest prefix first; equal lengths by name, so the output never depends on the file's order. */
function sortRoutes(routes: Route[]): Route[] {
  return routes.sort((a, b) => b.prefix.length - a.prefix.length || (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
}

/** The order of mounts in warnings: independent of the order in mounts.json. */
export function byHostAndPrefix(a: MountSpec, b: MountSpec): number {
  const left = `${a.host ?? ''} ${a.prefix}`;
  const right = `${b.host ?? ''} ${b.prefix}`;
  return left < right ? -1 : left > right ? 1 : 0;
}

function isAtOrBelow(prefix: string, ancestor: string): boolean {
  return ancestor === '/' || prefix === ancestor || prefix.startsWith(`${ancestor}/`);
}

function bindName(host: string): string[] {
  if (host === '0.0.0.0' || host === '::') return [];
  return [host.includes(':') && !host.startsWith('[') ? `[${host}]` : host];
}
