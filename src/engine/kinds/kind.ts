/**
 * What the rest of Mounts may ask of a kind of mount. The core, the export writers and the editor
 * ask a kind what it can do (its capabilities) and never test its name, so a new kind is one folder
 * here and one line in `registry.ts`.
 *
 * Descriptors are plain data and pure functions over a spec: they import only types and
 * `node:path`. The editor imports them to draw and key its menus on mounts that no engine serves yet
 * (a stopped folder shows its mounts, read from mounts.json), which an engine snapshot could not
 * give it; the apps, which run code, stay out of the editor's bundle (`apps/kinds.ts` maps names to
 * them, and the compiler asks for a kind's line there).
 */
import type { MountSpec } from '../spec';

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

/**
 * The validated fields of a mount of any kind, as config.ts reads them; a kind takes its own.
 * Absent fields hold their defaults.
 */
export interface MountFields {
  readonly module?: string;
  readonly exportName?: string;
  readonly root?: string;
  readonly spa: boolean;
  readonly listing: boolean;
  readonly target?: string;
  readonly stripPrefix: boolean;
  /** Whether mounts.json writes `stripPrefix` itself. */
  readonly stripPrefixSet: boolean;
  readonly timeout: number;
  readonly secure: boolean;
  readonly command?: string;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly port: number;
  readonly readyPath?: string;
  readonly readyTimeout: number;
  readonly restart: 'on-failure' | 'always' | 'never';
  readonly start: 'eager' | 'onRequest';
  readonly idleTimeout: number;
  readonly wsgi?: string;
  readonly asgi?: string;
  readonly python?: string;
  readonly reload: boolean;
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
  /** The spec from the validated fields (config.ts has checked that the kind's own key is there). */
  spec(base: MountBaseFields, fields: MountFields): S;
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
}
