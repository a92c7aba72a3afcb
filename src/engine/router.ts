/**
 * Longest-prefix routing on segment boundaries (paste's URLMap, pillarjs/router `trimPrefix`).
 *
 * Lookup walks up the request path's segments through a Map: '/a/b/c' tries '/a/b/c', '/a/b',
 * '/a', '/'. Its cost grows with the depth of the path, never with the number of mounts.
 * Mounts bound to a Host are tried before host-less ones, as in paste.
 */

export interface Route<T> {
  /** Normalized prefix: '/' or '/a/b' (no trailing slash). */
  readonly prefix: string;
  readonly value: T;
}

export class PrefixTable<T> {
  private readonly anyHost = new Map<string, Route<T>>();
  private readonly byHost = new Map<string, Map<string, Route<T>>>();

  constructor(entries: Iterable<{ host?: string; prefix: string; value: T }>) {
    for (const { host, prefix, value } of entries) {
      let table = this.anyHost;
      if (host !== undefined) {
        table = this.byHost.get(host) ?? new Map();
        this.byHost.set(host, table);
      }
      table.set(prefix, { prefix, value });
    }
  }

  /**
   * The route whose prefix is the longest match of `pathname` on a '/' boundary.
   * `hostname` is the request's lower-cased Host name without port.
   */
  match(hostname: string | undefined, pathname: string): Route<T> | undefined {
    if (hostname !== undefined && this.byHost.size > 0) {
      const table = this.byHost.get(hostname);
      if (table) {
        const route = walkUp(table, pathname);
        if (route) return route;
      }
    }
    return walkUp(this.anyHost, pathname);
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
