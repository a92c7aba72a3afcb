/**
 * What every export target writes, decided once from a `MountsConfig`: which sites (server blocks,
 * HTTPRoutes) exist, under which names, and for each the routes it serves in Mounts' order.
 *
 * Each kind says how a front serves it (`MountKind.exportRoute`): a folder the front serves itself
 * (static), its own upstream (proxy), or code that only Mounts can run (module, command, Python,
 * and any kind added later), proxied, prefix kept, to the app server (`mounts serve --only
 * <kinds>`), which routes it again.
 */
import { isIP } from 'node:net';
import { HOST_NAME, MAX_SECONDS } from '../config';
import type { ExportRoute } from '../kinds/kind';
import { kindOf } from '../kinds/registry';
import type { MountSpec, MountsConfig } from '../spec';
import { quoted } from './text';

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

/** A folder the front serves itself. */
export interface FolderRoute extends RouteBase {
  readonly serve: 'folder';
  /** Absolute path of the folder. */
  readonly root: string;
  readonly spa: boolean;
  readonly listing: boolean;
}

/** A mount proxied to its own upstream, or a mount served by the app server. */
export interface ProxyRoute extends RouteBase {
  readonly serve: 'upstream';
  readonly upstream: Upstream;
  /** The mount's own target as written; undefined for the app server. */
  readonly target?: string;
  /** Send the path without the prefix. */
  readonly strip: boolean;
  /** Whole milliseconds (at least 1) of upstream silence before 504; undefined leaves the target's default. */
  readonly timeoutMs?: number;
  /** The app server: it strips, rewrites and sets `X-Forwarded-Prefix` itself. */
  readonly appServer: boolean;
}

export type Route = FolderRoute | ProxyRoute;

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

/** The names a front's server block for `site` answers: the default site takes `*.localhost` too, as `HostPolicy` does. */
export function serverNames(site: Site): readonly string[] {
  return site.host === undefined ? [...site.names, '*.localhost'] : site.names;
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

/**
 * Throws when `config` holds what no target can write (config.ts refuses all of it in mounts.json;
 * a config made in code gets the same guarantee).
 */
export function planExport(config: MountsConfig, options: PlanOptions = {}): ExportPlan {
  checkNames(config);
  // Port 0 (any free port) means nothing to a front that others must find: it gets the default.
  const listenPort = config.port === 0 ? DEFAULT_PORT : config.port;
  const appServerUrl = options.appServer ?? `http://127.0.0.1:${listenPort + 1}`;
  const appServerUpstream = parseUpstream(appServerUrl, '--app-server');
  const appKinds = new Set<string>();
  const routeOf = (mount: MountSpec): Route => {
    const route = exportOf(mount);
    if (route.serve === 'folder') return { serve: 'folder', prefix: mount.prefix, mount, root: route.root, spa: route.spa, listing: route.listing };
    if (route.serve === 'upstream') return proxyRoute(mount, route);
    appKinds.add(mount.kind);
    return { serve: 'upstream', prefix: mount.prefix, mount, upstream: appServerUpstream, strip: false, appServer: true };
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
const UNSAFE_FOLDER = /["'$\\{};#\s`\p{C}]/u;
/** A target's path as written unquoted into nginx and Caddy: a prefix's characters and percent-escapes. */
const SAFE_TARGET_PATH = /^(?:[A-Za-z0-9._~\/-]|%[0-9A-Fa-f]{2})*$/;

function unsafeReason(mount: MountSpec): string | undefined {
  if (!SAFE_PREFIX.test(mount.prefix)) {
    return `its prefix has characters other than letters, digits and . _ ~ - /, which the targets match differently`;
  }
  const route = exportOf(mount);
  if (route.serve === 'folder' && UNSAFE_FOLDER.test(route.root)) {
    return `its folder path ${quoted(route.root)} has a quote, $, \\, brace, ; , #, space or control character`;
  }
  if (route.serve === 'upstream' && !SAFE_TARGET_PATH.test(targetPath(route.target))) {
    return `its target's path has characters other than letters, digits, . _ ~ - / and %-escapes, which nginx and Caddy read as syntax`;
  }
  return undefined;
}

function targetPath(target: string): string {
  try {
    return new URL(target).pathname;
  } catch {
    return '';
  }
}

/** The names a front listens on and answers, as config.ts allows them; anything else would be syntax. */
function checkNames(config: MountsConfig): void {
  const bind = config.host;
  if (bind.includes('%')) throw new Error(`mounts.json's host ${quoted(bind)} has an IPv6 zone index, which nginx and Caddy cannot listen on`);
  if (isIP(bind) === 0 && !HOST_NAME.test(bind.toLowerCase())) {
    throw new Error(`mounts.json's host ${quoted(bind)} cannot be written as a listen address: write an IP address or a host name`);
  }
  const names = [...config.allowedHosts, ...config.mounts.flatMap((mount) => (mount.host === undefined ? [] : [mount.host]))];
  const bad = names.find((name) => !HOST_NAME.test(name));
  if (bad !== undefined) throw new Error(`the host name ${quoted(bad)} cannot be written into a front's configuration`);
}

/** How a front serves `mount`, as its kind says. */
export function exportOf(mount: MountSpec): ExportRoute {
  return kindOf(mount).exportRoute(mount);
}

/** Proxied to its own upstream without its prefix. */
export function isStrippedUpstream(mount: MountSpec): boolean {
  const route = exportOf(mount);
  return route.serve === 'upstream' && route.strip;
}

function proxyRoute(mount: MountSpec, route: Extract<ExportRoute, { serve: 'upstream' }>): ProxyRoute {
  return {
    serve: 'upstream',
    prefix: mount.prefix,
    mount,
    upstream: parseUpstream(route.target, `mounts[${mount.index}].${mount.kind}`),
    target: route.target,
    strip: route.strip,
    timeoutMs: timeoutMs(mount, route.timeout),
    appServer: false,
  };
}

/**
 * Mounts' timers have whole milliseconds, and no target's timeout parser takes a fraction of its
 * smallest unit: a timeout shorter than 1 ms is 1 ms, as in Node's `setTimeout`.
 */
function timeoutMs(mount: MountSpec, timeout: number): number {
  if (!(timeout > 0 && timeout <= MAX_SECONDS)) {
    throw new Error(`mounts[${mount.index}].timeout ${timeout} must be a positive number of seconds up to ${MAX_SECONDS}`);
  }
  return Math.max(1, Math.round(timeout * 1000));
}

/**
 * `http(s)://host[:port][/path]`: the pieces every target writes separately. The WHATWG URL parser
 * keeps `$ ; { } ' !` in host names and paths, which nginx and Caddy read as syntax: such a URL is
 * refused here (config.ts refuses such hosts in mounts.json; plan skips a mount with such a path).
 */
export function parseUpstream(target: string, what: string): Upstream {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new Error(`${what} ${quoted(target)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${what} ${quoted(target)} must be an http: or https: URL`);
  if (!HOST_NAME.test(url.hostname)) throw new Error(`${what} ${quoted(target)} has a host that is not a host name or an IP address`);
  if (!SAFE_TARGET_PATH.test(url.pathname)) throw new Error(`${what} ${quoted(target)} has a path with characters other than letters, digits, . _ ~ - / and %-escapes`);
  if (url.username || url.password || url.search || url.hash) throw new Error(`${what} ${quoted(target)} must have no credentials, query or fragment`);
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
