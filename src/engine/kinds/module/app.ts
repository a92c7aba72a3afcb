/**
 * Module mounts: a Node request handler loaded from the workspace at run time (never bundled).
 * Accepts `(req, res, next?)` (plain Node, Express, Connect), Koa (`callback()`), and fetch-style
 * `{ fetch(request) }` apps (Hono and friends) through @hono/node-server's request listener.
 * An `upgrade(req, socket, head)` beside the handler (on the export or the module) takes WebSocket
 * upgrades, e.g. for a `ws` server with `noServer: true`.
 */
import type { ServerResponse } from 'node:http';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import { Emitter } from '../../events';
import { errorMessage, type Logger } from '../../logger';
import type { ModuleMountSpec } from '../../spec';
import { failThroughRequest } from './fetchStyle';
import { forgetImports } from './freshImport';
import { besideEntry, importedFiles, type LoadedFiles } from './loadedFiles';
import { closeVersion, forgetModules, isThenable, load, type Loaded } from './version';
import { HttpError, type App, type AppFactory, type AppStatus, type FailRequest, type ModuleTimeouts, type MountedRequest } from '../app';

/**
 * How long stop and reload wait for an export's close() before going on without it, and how long
 * a module may take to load (its top-level awaits) before start or reload fails: an await that
 * never settles would otherwise hold start, and stop queued behind it, forever.
 */
export const MODULE_TIMEOUTS: ModuleTimeouts = { closeMs: 5000, loadMs: 30_000 };

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
  const firstGeneration = ++importGeneration;
  const first = await load(spec, firstGeneration, workspace, timeouts.loadMs).catch((error: unknown) => {
    forgetImports(firstGeneration);
    throw error;
  });
  return new ModuleApp(spec, first, {
    logger: context.logger,
    workspace,
    timeouts,
    mayHaveRequired: besideEntry(spec.module, MODULE_FILE, context.liveFilesFolders),
    mayHaveImported: besideEntry(spec.module, ESM_IMPORT_FILE, context.liveFilesFolders),
  });
};

interface ModuleAppSettings {
  readonly logger: Logger;
  /** The folder of mounts.json: what the module loads from inside it is what it depends on. */
  readonly workspace: string;
  readonly timeouts: ModuleTimeouts;
  /** Guesses of what the module may have required or imported, where that is not known. */
  readonly mayHaveRequired: (file: string) => boolean;
  readonly mayHaveImported: (file: string) => boolean;
}

/** A module mount: the version serving now, and the reloads that replace it, one at a time. */
class ModuleApp implements App {
  private _status: AppStatus = { state: 'ready' };
  private readonly _onDidChangeStatus = new Emitter<AppStatus>();
  readonly onDidChangeStatus = this._onDidChangeStatus.event;
  /**
   * Set while the last reload failed: what it got as far as loading. That is known in part at
   * most (an ES module's imports as far as they resolved), so `dependsOn` and the next reload
   * also guess.
   */
  private failedAttempt: LoadedFiles | undefined;
  /** Set by close(): a reload still loading closes what it loaded instead of serving it. */
  private closed = false;
  /** The last reload asked for, settled or not; never rejects. */
  private reloads: Promise<void> = Promise.resolve();
  /** A reload asked for that has not started yet. */
  private queuedReload: Promise<void> | undefined;

  constructor(
    private readonly spec: ModuleMountSpec,
    private current: Loaded,
    private readonly settings: ModuleAppSettings,
  ) {}

  get status(): AppStatus {
    return this._status;
  }

  // A getter: the engine answers 404 when it is undefined, and a reload may add or drop it.
  get upgrade(): App['upgrade'] {
    return this.current.upgrade ? this.upgradeCurrent : undefined;
  }

  handle(req: MountedRequest, res: ServerResponse, fail: FailRequest): void {
    const next = (error?: unknown) => {
      if (error !== undefined && error !== null && error !== 'route' && error !== 'router') fail(error);
      else fail(new HttpError(404, `${this.spec.name} has no route for ${req.originalUrl}.`));
    };
    const current = this.current;
    if (current.failsThroughRequest) failThroughRequest(req, fail);
    const result = current.handler(req, res, next);
    if (isThenable(result)) result.then(undefined, fail);
  }

  // Reloads run one at a time, so the version each one replaces is the one serving when it
  // installs. A reload asked for while another waits to start is that one: it reads the files
  // after both changes.
  reload(): Promise<void> {
    if (this.queuedReload) return this.queuedReload;
    const run = this.reloads.then(() => {
      this.queuedReload = undefined;
      return this.reloadNow();
    });
    this.queuedReload = run;
    this.reloads = run.catch(() => undefined);
    return run;
  }

  /** True when `file` is the module or something it loaded from the workspace. */
  dependsOn(file: string): boolean {
    const { mayHaveImported, mayHaveRequired } = this.settings;
    if (file === this.spec.module) return true;
    const known = this.current.files.files();
    if (known?.has(file) || this.failedAttempt?.files()?.has(file)) return true;
    // An ES module on a Node without module hooks (before 20.6): its imports are not visible
    // from here, so a guess.
    if (!known) return mayHaveImported(file);
    // A broken mount may also reload for an unrelated file: harmless, and it catches a new file
    // the failed attempt loaded, which is in no graph (an import that did not resolve yet).
    return this.failedAttempt !== undefined && (this.current.files.kind === 'esm' ? mayHaveImported : mayHaveRequired)(file);
  }

  async close(): Promise<void> {
    this.closed = true;
    this._onDidChangeStatus.dispose();
    // A reload in flight closes what it loaded itself (see reloadNow).
    await this.reloads;
    this.failedAttempt?.dispose();
    await closeVersion(this.current, this.spec, this.settings.logger, this.settings.timeouts);
  }

  /** Bound once: `upgrade` hands it out. */
  private readonly upgradeCurrent = (req: MountedRequest, socket: Duplex, head: Buffer): void => {
    const failed = (error: unknown) => {
      this.settings.logger.error('upgrade failed', error, this.spec.name);
      socket.destroy();
    };
    const version = this.current;
    version.sockets.add(socket);
    socket.once('close', () => version.sockets.delete(socket));
    try {
      const result = version.upgrade?.(req, socket, head);
      if (isThenable(result)) result.then(undefined, failed);
    } catch (error) {
      failed(error);
    }
  };

  private async reloadNow(): Promise<void> {
    if (this.closed) return;
    const { spec } = this;
    const { logger, workspace, timeouts } = this.settings;
    let loaded: Loaded;
    const generation = ++importGeneration;
    try {
      this.forgetLoaded();
      loaded = await load(spec, generation, workspace, timeouts.loadMs);
    } catch (error) {
      this.failedAttempt?.dispose();
      // Nothing for a CommonJS attempt: Node drops a module that threw from require.cache.
      this.failedAttempt = importedFiles(generation, workspace);
      if (this.closed) throw error;
      this.setStatus({ state: 'error', reason: `reload failed, still serving the previous version: ${firstLine(error)}` });
      logger.error('reload failed; the previous version keeps serving', error, spec.name);
      throw error;
    }
    if (this.closed) {
      await closeVersion(loaded, spec, logger, timeouts);
      return;
    }
    const replaced = this.current;
    this.current = loaded;
    this.failedAttempt?.dispose();
    this.failedAttempt = undefined;
    this.setStatus({ state: 'ready' });
    logger.info(`reloaded ${path.relative(workspace, spec.module)}`, spec.name);
    // The new version serves already: a failing close() of the old one is reported, not undone.
    await closeVersion(replaced, spec, logger, timeouts).catch((error: unknown) => logger.error('close() of the previous version failed', error, spec.name));
  }

  /** Evicts what the serving version and a failed attempt required, so the reload evaluates it again. */
  private forgetLoaded(): void {
    forgetModules(this.current.files.commonJs());
    if (this.failedAttempt) forgetModules(this.failedAttempt.commonJs());
    // Without the resolve hook the CommonJS files an ES module imported are unknown, and those
    // a failed attempt left in the cache are known in part at most: a guess for both.
    if (!this.current.files.files() || this.failedAttempt) forgetModules(this.settings.mayHaveRequired);
  }

  private setStatus(next: AppStatus): void {
    this._status = next;
    this._onDidChangeStatus.fire(next);
  }
}

function firstLine(error: unknown): string {
  return errorMessage(error).split('\n')[0];
}
