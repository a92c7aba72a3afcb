/**
 * Module mounts: a Node request handler loaded from the workspace at run time (never bundled).
 * Accepts `(req, res, next?)` (plain Node, Express, Connect), Koa (`callback()`), and fetch-style
 * `{ fetch(request) }` apps (Hono and friends) through @hono/node-server's request listener.
 * An `upgrade(req, socket, head)` beside the handler (on the export or the module) takes WebSocket
 * upgrades, e.g. for a `ws` server with `noServer: true`.
 */
import * as fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import { Emitter } from '../../events';
import { describeError, errorMessage, type Logger } from '../../logger';
import type { ModuleMountSpec } from '../../spec';
import { forgetImports, importFresh } from './freshImport';
import { besideEntry, importedFiles, requiredFiles, type LoadedFiles } from './loadedFiles';
import { packageType } from './packageType';
import { HttpError, type App, type AppFactory, type AppStatus, type FailRequest, type ModuleTimeouts, type MountedRequest } from '../app';

type Handler = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => unknown;
type UpgradeHandler = (req: MountedRequest, socket: Duplex, head: Buffer) => unknown;

interface Loaded {
  readonly handler: Handler;
  /** What has the close() to call on stop: the export, else the module beside it, else nothing. */
  readonly closable: unknown;
  /** Fetch-style handlers report failures through the request (see `fetchHandler`). */
  readonly failsThroughRequest: boolean;
  readonly upgrade: UpgradeHandler | undefined;
  /** What this version loaded from the workspace, including what a handler loads lazily later. */
  readonly files: LoadedFiles;
  /** The upgraded connections handed to this version, closed with it. */
  readonly sockets: Set<Duplex>;
}

/**
 * How long stop and reload wait for an export's close() before going on without it, and how long
 * a module may take to load (its top-level awaits) before start or reload fails: an await that
 * never settles would otherwise hold start, and stop queued behind it, forever.
 */
export const MODULE_TIMEOUTS: ModuleTimeouts = { closeMs: 5000, loadMs: 30_000 };

const FAIL = Symbol('mounts.fail');
/** Thrown through @hono/node-server after we already answered, so it writes nothing itself. */
const ALREADY_ANSWERED = Symbol('mounts.answered');

/** Thrown for a module that loads but exports nothing we can serve. */
export class ModuleShapeError extends Error {}

let importGeneration = 0;

/** Files a CommonJS module may require: evicted, and watched while a reload of it failed. */
const MODULE_FILE = /\.(?:m?js|cjs|json)$/;
/**
 * Files guessed to be an ES module's imports where the resolve hook cannot report them (see
 * `dependsOn`): code only. JSON is left out because apps write data files beside their code (a
 * db.json on each POST would reload the app on each POST).
 */
const ESM_IMPORT_FILE = /\.(?:m?js|cjs)$/;

export const createModuleApp: AppFactory<ModuleMountSpec> = async (spec, context) => {
  const workspace = context.config.dir;
  const timeouts: ModuleTimeouts = { ...MODULE_TIMEOUTS, ...context.moduleTimeouts };
  const mayHaveRequired = besideEntry(spec.module, MODULE_FILE, context.liveFilesFolders);
  const mayHaveImported = besideEntry(spec.module, ESM_IMPORT_FILE, context.liveFilesFolders);
  const firstGeneration = ++importGeneration;
  let current = await load(spec, firstGeneration, workspace, timeouts.loadMs).catch((error: unknown) => {
    forgetImports(firstGeneration);
    throw error;
  });
  /**
   * Set while the last reload failed: what it got as far as loading. That is known in part at
   * most (an ES module's imports as far as they resolved), so `dependsOn` and the next reload
   * also guess.
   */
  let failedAttempt: LoadedFiles | undefined;
  let status: AppStatus = { state: 'ready' };
  const onDidChangeStatus = new Emitter<AppStatus>();
  const setStatus = (next: AppStatus) => {
    status = next;
    onDidChangeStatus.fire(next);
  };

  /** Set by close(): a reload still loading closes what it loaded instead of serving it. */
  let closed = false;
  /** The last reload asked for, settled or not; never rejects. */
  let reloads: Promise<void> = Promise.resolve();
  /** A reload asked for that has not started yet. */
  let queuedReload: Promise<void> | undefined;

  const reloadNow = async (): Promise<void> => {
    if (closed) return;
    let loaded: Loaded;
    const generation = ++importGeneration;
    try {
      forgetModules(current.files.commonJs());
      if (failedAttempt) forgetModules(failedAttempt.commonJs());
      // Without the resolve hook the CommonJS files an ES module imported are unknown, and those
      // a failed attempt left in the cache are known in part at most: a guess for both.
      if (!current.files.files() || failedAttempt) forgetModules(mayHaveRequired);
      loaded = await load(spec, generation, workspace, timeouts.loadMs);
    } catch (error) {
      failedAttempt?.dispose();
      // Nothing for a CommonJS attempt: Node drops a module that threw from require.cache.
      failedAttempt = importedFiles(generation, workspace);
      if (closed) throw error;
      setStatus({ state: 'error', reason: `reload failed, still serving the previous version: ${firstLine(error)}` });
      context.logger.error('reload failed; the previous version keeps serving', error, spec.name);
      throw error;
    }
    if (closed) {
      await closeVersion(loaded, spec, context.logger, timeouts);
      return;
    }
    const replaced = current;
    current = loaded;
    failedAttempt?.dispose();
    failedAttempt = undefined;
    setStatus({ state: 'ready' });
    context.logger.info(`reloaded ${path.relative(workspace, spec.module)}`, spec.name);
    // The new version serves already: a failing close() of the old one is reported, not undone.
    await closeVersion(replaced, spec, context.logger, timeouts).catch((error: unknown) =>
      context.logger.error('close() of the previous version failed', error, spec.name),
    );
  };

  const upgrade = (req: MountedRequest, socket: Duplex, head: Buffer): void => {
    const failed = (error: unknown) => {
      context.logger.error('upgrade failed', error, spec.name);
      socket.destroy();
    };
    const version = current;
    version.sockets.add(socket);
    socket.once('close', () => version.sockets.delete(socket));
    try {
      const result = version.upgrade?.(req, socket, head);
      if (isThenable(result)) result.then(undefined, failed);
    } catch (error) {
      failed(error);
    }
  };

  const app: App & { dependsOn(file: string): boolean } = {
    get status() {
      return status;
    },
    onDidChangeStatus: onDidChangeStatus.event,

    // A getter: the engine answers 404 when it is undefined, and a reload may add or drop it.
    get upgrade() {
      return current.upgrade ? upgrade : undefined;
    },

    handle(req: MountedRequest, res: ServerResponse, fail: FailRequest) {
      const next = (error?: unknown) => {
        if (error !== undefined && error !== null && error !== 'route' && error !== 'router') fail(error);
        else fail(new HttpError(404, `${spec.name} has no route for ${req.originalUrl}.`));
      };
      if (current.failsThroughRequest) (req as unknown as Record<symbol, FailRequest>)[FAIL] = fail;
      const result = current.handler(req, res, next);
      if (isThenable(result)) result.then(undefined, fail);
    },

    // Reloads run one at a time, so the version each one replaces is the one serving when it
    // installs. A reload asked for while another waits to start is that one: it reads the files
    // after both changes.
    reload() {
      if (queuedReload) return queuedReload;
      const run = reloads.then(() => {
        queuedReload = undefined;
        return reloadNow();
      });
      queuedReload = run;
      reloads = run.catch(() => undefined);
      return run;
    },

    /** True when `file` is the module or something it loaded from the workspace. */
    dependsOn(file: string) {
      if (file === spec.module) return true;
      const known = current.files.files();
      if (known?.has(file) || failedAttempt?.files()?.has(file)) return true;
      // An ES module on a Node without module hooks (before 20.6): its imports are not visible
      // from here, so a guess.
      if (!known) return mayHaveImported(file);
      // A broken mount may also reload for an unrelated file: harmless, and it catches a new file
      // the failed attempt loaded, which is in no graph (an import that did not resolve yet).
      return failedAttempt !== undefined && (current.files.kind === 'esm' ? mayHaveImported : mayHaveRequired)(file);
    },

    async close() {
      closed = true;
      onDidChangeStatus.dispose();
      // A reload in flight closes what it loaded itself (see reloadNow).
      await reloads;
      failedAttempt?.dispose();
      await closeVersion(current, spec, context.logger, timeouts);
    },
  };
  return app;
};

async function load(spec: ModuleMountSpec, generation: number, workspace: string, loadMs: number): Promise<Loaded> {
  // Node's own "Cannot find module … Require stack: dist/cli.js" points at us, not at mounts.json.
  if (!fs.existsSync(spec.module)) throw new Error(`${describeFile(spec)} does not exist`);
  const { moduleNamespace, entryModule } = await withinLoadTimeout(importModule(spec.module, generation), spec, loadMs);
  const exported = pickExport(moduleNamespace, spec);
  const handler = toHandler(exported, spec);
  return {
    handler,
    failsThroughRequest: FETCH_HANDLERS.has(handler),
    upgrade: pickUpgrade(exported, moduleNamespace),
    closable: ownerOf('close', exported, moduleNamespace),
    // The CommonJS module is held from the moment it loaded: its require graph says which files it
    // depends on even after another mount's reload evicted them from require.cache.
    files: entryModule ? requiredFiles(entryModule, workspace) : importedFiles(generation, workspace),
    sockets: new Set(),
  };
}

async function importModule(file: string, generation: number): Promise<{ moduleNamespace: unknown; entryModule: NodeJS.Module | undefined }> {
  // Decided before loading: from Node 20.19 require() also loads ES modules, which would then skip
  // the fresh import (stale hot reload, no known imports) and refuse a top-level await.
  if (!isEsm(file)) {
    try {
      const moduleNamespace: unknown = require(file);
      return { moduleNamespace, entryModule: require.cache[require.resolve(file)] };
    } catch (error) {
      // An ES module by its syntax alone, on a Node that detects it.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ERR_REQUIRE_ESM' && code !== 'ERR_REQUIRE_ASYNC_MODULE') throw error;
    }
  }
  return { moduleNamespace: await importFresh(file, generation), entryModule: undefined };
}

async function withinLoadTimeout<T>(loading: Promise<T>, spec: ModuleMountSpec, loadMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${describeFile(spec)} did not finish loading within ${loadMs / 1000} s: a top-level await that never settles?`)),
      loadMs,
    );
  });
  try {
    return await Promise.race([loading, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** Node's rule: `.mjs`, or `.js` whose nearest package.json says `"type": "module"`. */
function isEsm(file: string): boolean {
  if (file.endsWith('.mjs')) return true;
  if (!file.endsWith('.js')) return false;
  return packageType(path.dirname(file)) === 'module';
}

function pickExport(moduleNamespace: unknown, spec: ModuleMountSpec): unknown {
  const record = moduleNamespace as Record<string, unknown>;
  if (spec.exportName !== undefined) {
    if (!(spec.exportName in record)) {
      throw new ModuleShapeError(`${describeFile(spec)} has no export named "${spec.exportName}" (it exports ${listKeys(record)}).`);
    }
    return record[spec.exportName];
  }
  if (record !== null && typeof record === 'object' && 'default' in record && record.default !== undefined) {
    // CommonJS seen through import() wraps module.exports in `default`.
    return record.default;
  }
  return moduleNamespace;
}

function toHandler(exported: unknown, spec: ModuleMountSpec): Handler {
  if (typeof exported === 'function') return exported as Handler;
  if (exported !== null && typeof exported === 'object') {
    const candidate = exported as { callback?: unknown; fetch?: unknown };
    if (typeof candidate.callback === 'function') {
      return (candidate.callback as () => Handler).call(exported);
    }
    if (typeof candidate.fetch === 'function') return fetchHandler(candidate.fetch.bind(exported));
  }
  const found =
    exported === null || typeof exported !== 'object'
      ? `a ${exported === null ? 'null' : typeof exported}`
      : `an object with keys ${listKeys(exported as Record<string, unknown>)}`;
  throw new ModuleShapeError(
    `${describeFile(spec)} exports ${found}; expected a function (req, res, next), ` +
      'an object with callback() (Koa) or an object with fetch(request) (fetch-style).',
  );
}

/** `upgrade` on the export (a function or object), else on the module beside a named or default export. */
function pickUpgrade(exported: unknown, moduleNamespace: unknown): UpgradeHandler | undefined {
  const owner = ownerOf('upgrade', exported, moduleNamespace) as Record<string, UpgradeHandler> | undefined;
  return owner?.upgrade.bind(owner);
}

/** The first of `owners` with a method `name`. */
function ownerOf(name: string, ...owners: unknown[]): unknown {
  return owners.find(
    (owner) => owner !== null && (typeof owner === 'object' || typeof owner === 'function') && typeof (owner as Record<string, unknown>)[name] === 'function',
  );
}

const FETCH_HANDLERS = new WeakSet<Handler>();

type FetchFunction = (request: Request, env: unknown) => Response | Promise<Response>;

function fetchHandler(fetchFunction: FetchFunction): Handler {
  // Loaded for the first fetch-style app, not at the top: see the yaml package in export/gateway.ts
  // for what loading such packages up front costs every engine process start.
  const { getRequestListener } = require('@hono/node-server') as typeof import('@hono/node-server');
  const listener = getRequestListener(
    (request, env) => {
      const fail = (env.incoming as unknown as Record<symbol, FailRequest>)[FAIL];
      const answered = (error: unknown): never => {
        fail(error);
        throw ALREADY_ANSWERED;
      };
      try {
        const response = fetchFunction(request, env);
        return response instanceof Promise ? response.catch(answered) : response;
      } catch (error) {
        return answered(error);
      }
    },
    {
      // The extension host is shared with other extensions: never replace global Request/Response.
      overrideGlobalObjects: false,
      errorHandler: (error) => (error === ALREADY_ANSWERED ? undefined : new Response(describeError(error), { status: 500 })),
    },
  );
  const handler: Handler = (req, res) => listener(req, res);
  FETCH_HANDLERS.add(handler);
  return handler;
}

/** Drops these files from the CommonJS cache so the next require evaluates them again. */
function forgetModules(files: ReadonlySet<string> | ((file: string) => boolean)): void {
  if (typeof files === 'function') {
    for (const file of Object.keys(require.cache)) if (files(file)) delete require.cache[file];
  } else {
    for (const file of files) delete require.cache[file];
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';
}

/**
 * Closes a version that no longer serves: its export's close(), and the WebSockets it holds, so
 * clients reconnect to the new code. A `ws` server's close(callback) waits for its clients, so
 * they go right after close() was called, not after it finished.
 */
async function closeVersion(version: Loaded, spec: ModuleMountSpec, logger: Logger, timeouts: ModuleTimeouts): Promise<void> {
  version.files.dispose();
  const closing = closeExport(version.closable, spec, logger, timeouts.closeMs);
  for (const socket of version.sockets) socket.destroy();
  version.sockets.clear();
  await closing;
}

/**
 * Awaits `closable.close()`, in either style: `close()` returning a promise (or nothing, when it
 * takes no parameter) or `close(callback)`, e.g. a `ws` server's. Waits `closeMs` at most.
 */
async function closeExport(closable: unknown, spec: ModuleMountSpec, logger: Logger, closeMs: number): Promise<void> {
  // Koa and Express apps have no close(); a plain handler may export one for its own resources.
  if (closable === undefined) return;
  const close = (closable as { close: (callback: (error?: unknown) => void) => unknown }).close;
  let timer: NodeJS.Timeout | undefined;
  const closed = new Promise<boolean>((resolve, reject) => {
    const callback = (error?: unknown) => (error ? reject(error) : resolve(true));
    const result: unknown = close.call(closable, callback);
    if (isThenable(result)) result.then(() => resolve(true), reject);
    else if (close.length === 0) resolve(true);
  });
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), closeMs);
  });
  try {
    if (!(await Promise.race([closed, timedOut]))) {
      logger.warn(`close() did not finish within ${closeMs / 1000} s; going on without it`, spec.name);
      void closed.catch((error: unknown) => logger.error('close() failed after its time was up', error, spec.name));
    }
  } finally {
    clearTimeout(timer);
  }
}

function describeFile(spec: ModuleMountSpec): string {
  return `module ${spec.module}`;
}

function listKeys(record: Record<string, unknown>): string {
  const keys = Object.keys(record);
  return keys.length ? keys.map((k) => `"${k}"`).join(', ') : 'nothing';
}

function firstLine(error: unknown): string {
  return errorMessage(error).split('\n')[0];
}
