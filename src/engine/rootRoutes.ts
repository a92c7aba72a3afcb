/**
 * The apps' root paths as routes (`App.rootPaths`): what a dev server serves at the root of the
 * origin whatever its prefix, because its pages ask for it there. A root path fills a gap only:
 *
 * - where a mount's prefix matches it (a mount at `/`, or at that very path), the mount keeps it;
 * - where two mounts claim one path on the same host, neither gets it: nothing in the request says
 *   reliably whose page asked (a module's imports name the importing module, itself at the root, as
 *   their Referer; a WebSocket sends no Referer at all).
 *
 * Either way the app that claimed it misses requests its pages make, so each case is a warning
 * naming the mounts involved.
 */
import type { RootPaths } from './kinds/app';
import type { PrefixTable, RootEntries, TableEntry } from './router';

export interface Claimant<T> {
  readonly value: T;
  /** The mount's name, for warnings. */
  readonly name: string;
  readonly host?: string;
  readonly rootPaths: RootPaths;
}

export interface RootRoutes<T> {
  readonly roots: RootEntries<T>;
  readonly warnings: readonly string[];
}

/** Routes for the root paths of `claimants` that no mount of `mounts` matches and no other claimant claims. */
export function rootRoutes<T>(claimants: readonly Claimant<T>[], mounts: PrefixTable<T>, nameOf: (value: T) => string): RootRoutes<T> {
  const warnings = new Warnings();
  const routes = (kind: keyof RootPaths, shown: (path: string) => string): TableEntry<T>[] => {
    const claims = new Map<string, Claimant<T>[]>();
    for (const claimant of claimants) {
      for (const path of new Set(claimant.rootPaths[kind])) {
        // '/' as a prefix would be a catch-all: the whole origin, not a path beside the app's prefix.
        if (kind === 'prefixes' && path === '/') continue;
        const key = `${claimant.host ?? ''} ${path}`;
        claims.set(key, [...(claims.get(key) ?? []), claimant]);
      }
    }
    const entries: TableEntry<T>[] = [];
    for (const [key, claimed] of claims) {
      const path = key.slice(key.indexOf(' ') + 1);
      const [first] = claimed;
      const mount = mounts.match(first.host, path);
      if (mount) {
        // A claimant's own prefix already brings it these; any other claimant misses them.
        for (const claimant of claimed) if (claimant.value !== mount.value) warnings.add(shown(path), shadowed(claimant.name, nameOf(mount.value)));
      } else if (claimed.length > 1) {
        warnings.add(shown(path), conflict(claimed.map((claimant) => claimant.name)));
      } else {
        entries.push({ ...(first.host !== undefined ? { host: first.host } : {}), prefix: path, value: first.value });
      }
    }
    return entries;
  };
  const roots = { prefixes: routes('prefixes', (path) => `${path}/…`), sockets: routes('sockets', (path) => `WebSocket ${path}`) };
  return { roots, warnings: warnings.lines() };
}

/** A warning's wording given the paths it is about. */
type Wording = (paths: string) => string;

function conflict(names: readonly string[]): Wording {
  const quoted = names.map((name) => `"${name}"`);
  const who = `${quoted.slice(0, -1).join(', ')} and ${quoted[quoted.length - 1]}`;
  return (paths) =>
    `${who} ${names.length === 2 ? 'both' : 'all'} load ${paths} from the root whatever their prefix, so none of them gets those requests: give each a host of its own ("prefix": "/" and a "host")`;
}

function shadowed(claimant: string, mount: string): Wording {
  return (paths) =>
    `"${claimant}" loads ${paths} from the root whatever its prefix, but "${mount}" serves those paths, so its pages miss them: give "${claimant}" a host of its own ("prefix": "/" and a "host")`;
}

/** One warning per wording, listing its paths in the order met. */
class Warnings {
  private readonly groups = new Map<string, { wording: Wording; paths: string[] }>();

  add(path: string, wording: Wording): void {
    const key = wording('');
    const group = this.groups.get(key) ?? { wording, paths: [] };
    group.paths.push(path);
    this.groups.set(key, group);
  }

  lines(): string[] {
    return [...this.groups.values()].map(({ wording, paths }) => wording(paths.join(', ')));
  }
}
