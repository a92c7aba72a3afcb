/**
 * The validated, normalized form of mounts.json: what the engine serves. Produced by `config.ts`
 * from the file; paths are absolute, prefixes normalized, defaults filled in.
 */

/** The names of the kinds (`kinds/registry.ts` lists what each can do). */
export type MountKindName = 'module' | 'static' | 'proxy' | 'command' | 'wsgi' | 'asgi';

/** Where a value came from in mounts.json, so errors and editors can point at it. */
export interface SourceRange {
  /** Zero-based character offset into the file. */
  readonly offset: number;
  readonly length: number;
  /** One-based line and column of `offset`. */
  readonly line: number;
  readonly column: number;
}

interface MountBase {
  /** Position in the `mounts` array; stable identity for diagnostics. */
  readonly index: number;
  /** Normalized: starts with '/', no trailing '/', '/' is the catch-all. */
  readonly prefix: string;
  /** Label shown to people; defaults to the prefix. */
  readonly name: string;
  /** Lower-cased Host name this mount answers for, without port; undefined answers any host. */
  readonly host?: string;
  /** Whether its HTML pages get the live reload script (default true). */
  readonly liveReload: boolean;
  /** The mount's object in mounts.json. */
  readonly range: SourceRange;
}

export interface ModuleMountSpec extends MountBase {
  readonly kind: 'module';
  /** Absolute path of the module file. */
  readonly module: string;
  /** Named export to use; undefined means `default`, else the module itself. */
  readonly exportName?: string;
}

export interface StaticMountSpec extends MountBase {
  readonly kind: 'static';
  /** Absolute path of the folder served. */
  readonly root: string;
  readonly spa: boolean;
  readonly listing: boolean;
}

export interface ProxyMountSpec extends MountBase {
  readonly kind: 'proxy';
  /** Absolute http: or https: URL of the upstream, e.g. `http://127.0.0.1:5000` or `https://api.example.com/base`. */
  readonly target: string;
  readonly stripPrefix: boolean;
  /** Seconds of upstream silence before 504. */
  readonly timeout: number;
  /** https: targets: check the upstream's certificate (false accepts self-signed ones). */
  readonly secure: boolean;
}

export type RestartPolicy = 'on-failure' | 'always' | 'never';

export interface CommandMountSpec extends MountBase {
  readonly kind: 'command';
  readonly command: string;
  /** Absolute working directory. */
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** 0 means pick a free port. */
  readonly port: number;
  readonly readyPath?: string;
  /** Seconds. */
  readonly readyTimeout: number;
  readonly restart: RestartPolicy;
  readonly stripPrefix: boolean;
  /** Set when mounts.json writes `stripPrefix` itself: a framework preset then keeps the user's choice. */
  readonly stripPrefixSet?: true;
  readonly start: 'eager' | 'onRequest';
  /** Seconds without requests before an onRequest command is stopped. */
  readonly idleTimeout: number;
  /** Seconds of upstream silence before 504. */
  readonly timeout: number;
}

/**
 * A Python web app run by Mounts' own runner (`apps/python/`): `wsgi` or `asgi`. It is supervised
 * like a command mount and shares its start, readiness, restart and idle fields.
 */
export interface PythonMountSpec extends MountBase {
  readonly kind: 'wsgi' | 'asgi';
  /** `module:attribute` or `module:factory()`, as written; the module is a dotted path. */
  readonly app: string;
  /** The mount's own interpreter: absolute when written as a path, else a name looked up on the PATH. */
  readonly python?: string;
  /** Absolute working directory, first on `sys.path`. */
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** Restart the app when a `.py` file under `cwd` changes. */
  readonly reload: boolean;
  /** Seconds. */
  readonly readyTimeout: number;
  readonly restart: RestartPolicy;
  readonly start: 'eager' | 'onRequest';
  /** Seconds without requests before an onRequest app is stopped. */
  readonly idleTimeout: number;
  /** Seconds of app silence before 504. */
  readonly timeout: number;
}

export interface WsgiMountSpec extends PythonMountSpec {
  readonly kind: 'wsgi';
}

export interface AsgiMountSpec extends PythonMountSpec {
  readonly kind: 'asgi';
}

export type MountSpec = ModuleMountSpec | StaticMountSpec | ProxyMountSpec | CommandMountSpec | WsgiMountSpec | AsgiMountSpec;

export interface MountsConfig {
  /** Absolute path of mounts.json. */
  readonly file: string;
  /** Folder holding mounts.json; relative paths resolve against it. */
  readonly dir: string;
  readonly host: string;
  readonly port: number;
  /** TLS on the port, with a certificate from the user's local CA; plain HTTP there is redirected. */
  readonly https: boolean;
  /** Lower-cased Host names accepted besides the loopback names. */
  readonly allowedHosts: readonly string[];
  /** Limits on client connections; absent fields take the listener's defaults. */
  readonly connections: ConnectionLimits;
  readonly mounts: readonly MountSpec[];
  /** Where `port` is written in the file, when it is. */
  readonly portRange?: SourceRange;
}

/** One problem in mounts.json. `toString()` gives `mounts.json:7:5: mounts[2].prefix ...`. */
export interface ConfigProblem extends SourceRange {
  readonly file: string;
  /** JSON path of the field, e.g. `mounts[2].prefix`; '' for the whole file. */
  readonly field: string;
  readonly message: string;
}

/** `host` + `prefix`: unique in a valid config and stable across reloads. */
export function mountId(spec: Pick<MountSpec, 'prefix' | 'host'>): string {
  return spec.host ? `${spec.host}${spec.prefix}` : spec.prefix;
}

/** `connections` in mounts.json. */
export interface ConnectionLimits {
  /** Open client connections at most; past it the idlest is closed. Default: half the open-file limit. */
  readonly max?: number;
  /** Seconds a client has to send a request's headers. */
  readonly headersTimeout: number;
  /** Seconds an idle keep-alive connection is kept open. */
  readonly idleTimeout: number;
}
