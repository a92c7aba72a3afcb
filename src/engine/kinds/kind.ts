/**
 * What the rest of Mounts may ask of a kind of mount. The core, the export writers and the editor
 * ask a kind what it can do (its capabilities) and never test its name, so a new kind is one folder
 * here and one line in `registry.ts`.
 *
 * Apart from `createApp`, a descriptor is plain data and pure functions over a spec. The editor
 * asks them to draw and key its menus on mounts that no engine serves yet (a stopped folder shows
 * its mounts, read from mounts.json), which an engine snapshot could not give it; only the engine
 * calls `createApp`.
 */
import type { Node } from 'jsonc-parser';
import type { MountSpec } from '../spec';
import type { App, AppContext } from './app';

/** What the editor's "Reveal" opens for a mount. */
export interface Reveal {
  readonly open: 'file' | 'folder';
  readonly path: string;
}

/** How a production front serves a mount (`export/plan.ts`). */
export type ExportRoute =
  /** The front serves the folder's files itself. */
  | { readonly serve: 'folder'; readonly root: string; readonly spa: boolean; readonly listing: boolean }
  /** The front proxies to the mount's own upstream; `timeout` in seconds. */
  | { readonly serve: 'upstream'; readonly target: string; readonly strip: boolean; readonly timeout: number }
  /** Code only Mounts runs: the front proxies to `mounts serve --only <kinds>`. */
  | { readonly serve: 'appServer' };

/** Yes-or-no answers about a kind, the same for all its mounts. */
export interface Capabilities {
  /** Runs workspace code: refused while the workspace is untrusted. */
  readonly runsCode: boolean;
  /** `reloadApp` means something: a module reloads, a process restarts. */
  readonly reloadable: boolean;
  /** Has something in the workspace to show besides its entry in mounts.json (see `reveal`). */
  readonly revealable: boolean;
  /**
   * Runs a process of its own: its last output is its status detail, and its environment is where
   * it is told to trust the local CA (it restarts when that changes).
   */
  readonly runsProcess: boolean;
}

/** The capabilities the editor's tree puts in a mount's `contextValue`, for package.json's menus. */
export const MENU_CAPABILITIES = ['reloadable', 'revealable'] as const satisfies readonly (keyof Capabilities)[];

/** Where a kind's own check of a value reports what is wrong with it. */
export interface FieldReport {
  /** Folder of mounts.json: relative paths resolve against it. */
  readonly dir: string;
  at(node: Node, field: string, message: string): void;
  /** `field must be <what>, found <the value>`. */
  expected(node: Node, field: string, what: string): void;
}

/**
 * A mount's fields in mounts.json, each checked once when first read (kinds share some, like `cwd`)
 * with its problem reported at its place. A field that is absent, or not one of this mount's,
 * reads as undefined or the fallback.
 */
export interface MountReader {
  /** Folder of mounts.json. */
  readonly dir: string;
  /** Whether mounts.json writes `key` on this mount. */
  has(key: string): boolean;
  /** A non-empty string. */
  string(key: string): string | undefined;
  /** A path, resolved against `dir`. */
  path(key: string): string | undefined;
  /** A command line. */
  command(key: string): string | undefined;
  /** A URL path starting with '/'. */
  urlPath(key: string): string | undefined;
  env(key: string): Readonly<Record<string, string>> | undefined;
  flag(key: string, fallback: boolean): boolean;
  seconds(key: string, fallback: number): number;
  port(key: string, fallback: number): number;
  oneOf<T extends string>(key: string, values: readonly T[]): T | undefined;
  /** The kind's own check of the value of `key`. */
  check<T>(key: string, check: (node: Node, field: string, report: FieldReport) => T | undefined): T | undefined;
}

/** The fields every mount has, already checked. */
export type MountBaseFields = Pick<MountSpec, 'index' | 'prefix' | 'name' | 'host' | 'liveReload' | 'range'>;

/**
 * One kind of mount. Methods (not function-valued fields) so a `MountKind<StaticMountSpec>` is a
 * `MountKind` in the registry's list.
 */
export interface MountKind<S extends MountSpec = MountSpec> {
  /** Its key in mounts.json, its word in the CLI's `--only` and in the editor. */
  readonly name: S['kind'];
  readonly capabilities: Capabilities;
  /** A codicon id for the editor's tree. */
  readonly icon: string;
  /** Keys of mounts.json this kind owns, its own key first. */
  readonly keys: readonly string[];
  /**
   * Reads and checks the kind's fields (config/ has checked the common ones and the keys), then
   * makes the spec; config/ keeps it only when no field had a problem. Also called, to report every
   * problem at once, while a mount's kind is unclear.
   */
  read(fields: MountReader, base: MountBaseFields): S;
  /** What the mount serves, in a few words; `show` makes a path relative when the caller wants it. */
  describe(spec: S, show: (file: string) => string): string;
  /** What "Reveal" opens; undefined opens the mount's entry in mounts.json. */
  reveal(spec: S): Reveal | undefined;
  /** The folder whose files it serves as they are on disk: a change there reloads pages live. */
  liveFilesFolder(spec: S): string | undefined;
  /** The fixed port its process listens on, which a replacement must wait for. */
  heldPort(spec: S): number | undefined;
  /** Runs on the editor's default Python interpreter, so a new default restarts it. */
  usesDefaultInterpreter(spec: S): boolean;
  exportRoute(spec: S): ExportRoute;
  /** Its app, which the engine routes the mount's requests to (runs code: the engine only). */
  createApp(spec: S, context: AppContext): Promise<App>;
}
