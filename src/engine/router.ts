/**
 * Longest-prefix routing on segment boundaries (paste's URLMap, pillarjs/router `trimPrefix`).
 *
 * Lookup walks up the request path's segments through a Map: '/a/b/c' tries '/a/b/c', '/a/b',
 * '/a', '/'. Its cost grows with the depth of the path, never with the number of mounts.
 * Mounts bound to a Host are tried before host-less ones, as in paste.
 *
 * Root paths (paths an app serves at the root whatever its prefix, see `rootRoutes.ts`) are a
 * second rank, asked only when no mount's prefix matches: they never take a request from a mount.
 */

export interface Route<T> {
  /** Normalized prefix: '/' or '/a/b' (no trailing slash); for a root path, that path. */
  readonly prefix: string;
  readonly value: T;
  /** Matched by one of the app's root paths: the request reaches it as sent, not below its prefix. */
  readonly root: boolean;
}

export interface TableEntry<T> {
  readonly host?: string;
  /** A mount's prefix, or a root path. */
  readonly prefix: string;
  readonly value: T;
}

export interface RootEntries<T> {
  /** Paths matched with what is below them, like prefixes (never '/'). */
  readonly prefixes: readonly TableEntry<T>[];
  /** Paths matched exactly, by upgrades only. */
  readonly sockets: readonly TableEntry<T>[];
}

export class PrefixTable<T> {
  private readonly mounts: HostMaps<T>;
  private readonly roots: HostMaps<T>;
  private readonly sockets: HostMaps<T>;

  constructor(entries: Iterable<TableEntry<T>>, roots: RootEntries<T> = { prefixes: [], sockets: [] }) {
    this.mounts = new HostMaps(entries, false);
    this.roots = new HostMaps(roots.prefixes, true);
    this.sockets = new HostMaps(roots.sockets, true);
  }

  /**
   * The route whose prefix is the longest match of `pathname` on a '/' boundary, else a root path
   * of an app that matches it. `hostname` is the request's lower-cased Host name without port.
   */
  match(hostname: string | undefined, pathname: string): Route<T> | undefined {
    return this.mounts.walk(hostname, pathname) ?? this.roots.walk(hostname, pathname);
  }

  /** As `match`, then the apps' root paths that accept upgrades at exactly `pathname`. */
  matchUpgrade(hostname: string | undefined, pathname: string): Route<T> | undefined {
    return this.match(hostname, pathname) ?? this.sockets.exact(hostname, pathname);
  }
}

/** Routes without a host and by host name. */
class HostMaps<T> {
  private readonly anyHost = new Map<string, Route<T>>();
  private readonly byHost = new Map<string, Map<string, Route<T>>>();

  constructor(entries: Iterable<TableEntry<T>>, root: boolean) {
    for (const { host, prefix, value } of entries) {
      let table = this.anyHost;
      if (host !== undefined) {
        table = this.byHost.get(host) ?? new Map();
        this.byHost.set(host, table);
      }
      table.set(prefix, { prefix, value, root });
    }
  }

  walk(hostname: string | undefined, pathname: string): Route<T> | undefined {
    if (hostname !== undefined && this.byHost.size > 0) {
      const table = this.byHost.get(hostname);
      if (table) {
        const route = walkUp(table, pathname);
        if (route) return route;
      }
    }
    return this.anyHost.size > 0 ? walkUp(this.anyHost, pathname) : undefined;
  }

  exact(hostname: string | undefined, pathname: string): Route<T> | undefined {
    return (hostname !== undefined ? this.byHost.get(hostname)?.get(pathname) : undefined) ?? this.anyHost.get(pathname);
  }
}

function walkUp<T>(table: Map<string, Route<T>>, pathname: string): Route<T> | undefined {
  let candidate = pathname;
  // '/blog/' is the folder form of '/blog': prefixes never end in '/', so drop it before looking.
  if (candidate.length > 1 && candidate.charCodeAt(candidate.length - 1) === 47 /* / */) {
    candidate = candidate.slice(0, -1);
  }
  for (;;) {
    const route = table.get(candidate);
    if (route) return route;
    const cut = candidate.lastIndexOf('/');
    if (cut <= 0) return candidate === '/' ? undefined : table.get('/');
    candidate = candidate.slice(0, cut);
  }
}
