/**
 * The app interface: each kind's folder has an `app.ts` exporting an `AppFactory`, which its
 * descriptor's `createApp` calls. The engine routes a request to an `App`; the app never sees
 * another mount's requests.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Event } from '../events';
import type { FrontView } from '../forwarded';
import type { Logger } from '../logger';
import type { MountSpec, MountsConfig } from '../spec';
import type { ChildTrust } from '../tls/childTrust';
import type { FileWatching } from '../watch/watching';

/**
 * A request as a mounted app sees it, with Express mount conventions (pillarjs/router):
 * `url` is the rest of the path plus the query ('/' for an exact match of the prefix),
 * `baseUrl` the prefix ('' for the catch-all '/'), `originalUrl` the full original target.
 */
export interface MountedRequest extends IncomingMessage {
  url: string;
  baseUrl: string;
  originalUrl: string;
  /** Set on the app server (`mounts serve --only`) for a request that came through the front. */
  front?: FrontView;
}

/**
 * 'refused': not started because the workspace is in restricted mode (untrusted);
 * 'idle': an on-request command that is not running until its first request.
 */
export type AppState = 'starting' | 'ready' | 'idle' | 'error' | 'stopped' | 'refused';

export interface AppStatus {
  readonly state: AppState;
  /** Why the app is in 'error' (or what it is waiting for), one line. */
  readonly reason?: string;
  /** More detail for people: e.g. the last lines a command printed. */
  readonly detail?: string;
  /** The process id of a command app's child, when it runs. */
  readonly pid?: number;
  /** The port a command app listens on, when known. */
  readonly port?: number;
}

/**
 * Receives every failure of a request: an error with `status` (e.g. 404 for `next()`), a thrown
 * error, a rejected promise. The engine answers with its error page, or destroys the socket when
 * headers were already sent.
 */
export type FailRequest = (error: unknown) => void;

export interface App {
  /** Serves one request. May throw synchronously; asynchronous failures go to `fail`. */
  handle(req: MountedRequest, res: ServerResponse, fail: FailRequest): void;
  /** Handles an HTTP upgrade (WebSocket). Absent: the engine answers 404 and closes the socket. */
  upgrade?(req: MountedRequest, socket: Duplex, head: Buffer): void;
  readonly status: AppStatus;
  readonly onDidChangeStatus?: Event<AppStatus>;
  /** Picks up new code (module) or restarts the process (command). */
  reload?(): Promise<void>;
  /**
   * True when the app's pages reload themselves once it is back after a restart (a framework dev
   * server's own client does): Mounts' live reload then leaves them alone, or they would load twice.
   */
  readonly reloadsOwnPages?: boolean;
  /**
   * Paths at the root of the origin that the app serves whatever its prefix, because its pages ask
   * for them there (a dev server's own modules, its overlay's fonts). They fill gaps only: a request
   * goes to them when no mount's prefix matches it (see `rootRoutes.ts`).
   */
  readonly rootPaths?: RootPaths;
  /** True when a change to `file` should reload this app (module apps track what they loaded). */
  dependsOn?(file: string): boolean;
  /** Releases everything the app holds; resolves when it is truly gone. */
  close(): Promise<void>;
}

/** What an app serves at the root of the origin beside its prefix (`App.rootPaths`). */
export interface RootPaths {
  /** Each a path on a segment boundary (`/@vite`): that path and everything below it. */
  readonly prefixes: readonly string[];
  /** Exact paths where it accepts WebSocket upgrades (`/` for Vite's HMR client at base `/`). */
  readonly sockets: readonly string[];
}

/** An interpreter for Python mounts and where the choice came from, so errors can say so. */
export interface PythonChoice {
  /** A path, or a name looked up on the PATH (`python3.12`). */
  readonly command: string;
  /** Where the choice came from, in words, e.g. `--python` or `the Python extension's selection`. */
  readonly source: string;
}

/** How long a module app waits for a load (its top-level awaits) and for an export's close(). */
export interface ModuleTimeouts {
  readonly loadMs: number;
  readonly closeMs: number;
}

export interface AppContext {
  readonly config: MountsConfig;
  /**
   * The folders the config's mounts serve as files, each ending in a separator, computed once per
   * config: a module mount's reload leaves files there to the live loop.
   */
  readonly liveFilesFolders: readonly string[];
  readonly logger: Logger;
  /** The engine's file watching (closed when the engine stops); an app still disposes what it subscribed. */
  readonly watching: FileWatching;
  /** The interpreter for Python mounts without their own `python`, asked at each start; undefined: python3 on the PATH. */
  readonly python?: () => PythonChoice | undefined;
  /** While the engine serves HTTPS: the local CA's files, asked at each start of a child process. */
  readonly trust?: () => ChildTrust | undefined;
  /** The local CA's certificate (PEM) when the user has one: upstreams it signed are trusted. */
  readonly localAuthority?: () => string | undefined;
  /** Overrides of the module apps' defaults (tests shorten them). */
  readonly moduleTimeouts?: Partial<ModuleTimeouts>;
}

export type AppFactory<S extends MountSpec> = (spec: S, context: AppContext) => Promise<App>;

/** An error that carries the HTTP status the engine should answer with. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Extra text shown on the error page, e.g. a command's last output lines. */
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function readyStatus(): AppStatus {
  return { state: 'ready' };
}
