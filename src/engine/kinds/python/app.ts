/**
 * What `wsgi` and `asgi` mounts share: Mounts' Python runner (`runner.py`, `mounts_serve.py`) run
 * as a command mount. The command mount supervises it (process group, readiness on its port, restart
 * and back-off, idle stop, output in the log, 503 pages with its last lines); this file adds the
 * interpreter choice and the reload on `.py` changes.
 *
 * The runner gets the full path (no prefix stripping) and the forwarded headers Mounts sets, and
 * builds SCRIPT_NAME / PATH_INFO (WSGI) or root_path / path (ASGI) itself: see `mounts_serve.py`.
 */
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Disposable } from '../../events';
import type { CommandMountSpec, PythonMountSpec } from '../../spec';
import type { App, AppContext, AppStatus, FailRequest, MountedRequest } from '../app';
import { CommandApp } from '../command/app';
import { locateSupervisor } from '../command/process';
import { choosePython, resolvePython } from './interpreter';
import { locateRunner } from './runnerFiles';
import { watchPythonSources } from './sources';

/** Changes within this many milliseconds are one reload (an editor's save is often several events). */
const RELOAD_SETTLE_MS = 50;

export async function createPythonApp(spec: PythonMountSpec, context: AppContext): Promise<App> {
  // A broken installation is a load error, not a failure on the first request.
  locateSupervisor();
  const app = new PythonApp(spec, context, locateRunner());
  if (spec.reload) await app.watchSources();
  return app;
}

class PythonApp implements App {
  private readonly command: CommandApp;
  private watcher: Disposable | undefined;
  private closed = false;
  private reloadTimer: NodeJS.Timeout | undefined;
  private restarts: Promise<void> = Promise.resolve();

  constructor(
    private readonly spec: PythonMountSpec,
    private readonly context: AppContext,
    runner: string,
  ) {
    const asCommand: CommandMountSpec = {
      index: spec.index,
      prefix: spec.prefix,
      name: spec.name,
      liveReload: spec.liveReload,
      ...(spec.host !== undefined ? { host: spec.host } : {}),
      range: spec.range,
      kind: 'command',
      command: `${spec.kind} ${spec.app}`,
      cwd: spec.cwd,
      // Unbuffered: a print() reaches the log at once, and the traceback of a crash is never lost.
      // No bytecode cache of the app's own modules: Python trusts a .pyc whose recorded source
      // mtime (whole seconds) and size match, so a save within the same second that keeps the size
      // (VERSION = 'v1' -> 'v2') restarted into the old code (seen in 2 of 4 reload tests).
      env: { PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', ...spec.env },
      port: 0,
      readyTimeout: spec.readyTimeout,
      restart: spec.restart,
      // The runner needs the full path: it splits it into SCRIPT_NAME and PATH_INFO (or root_path and path).
      stripPrefix: false,
      start: spec.start,
      idleTimeout: spec.idleTimeout,
      timeout: spec.timeout,
    };
    this.command = new CommandApp(asCommand, context.logger, () => this.commandLine(runner), context.trust);
  }

  /** Resolves once a save is seen; a folder that cannot be watched is a warning, not a load error. */
  async watchSources(): Promise<void> {
    const { logger, watching } = this.context;
    const { cwd, name } = this.spec;
    const stopped = (error: Error) => logger.warn(`.py changes under ${cwd} are no longer seen: ${error.message}`, name);
    try {
      const watcher = await watchPythonSources(watching, cwd, (file) => this.sourceChanged(file), stopped);
      if (this.closed) watcher.dispose();
      else this.watcher = watcher;
    } catch (error) {
      logger.warn(`cannot watch ${cwd} for .py changes: ${(error as Error).message}`, name);
    }
  }

  get status(): AppStatus {
    return this.command.status;
  }

  get onDidChangeStatus() {
    return this.command.onDidChangeStatus;
  }

  handle(req: MountedRequest, res: ServerResponse, fail: FailRequest): void {
    this.command.handle(req, res, fail);
  }

  upgrade(req: MountedRequest, socket: Duplex, head: Buffer): void {
    this.command.upgrade(req, socket, head);
  }

  reload(): Promise<void> {
    return this.command.reload();
  }

  close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reloadTimer);
    this.watcher?.dispose();
    return this.command.close();
  }

  /** Resolved at each start: a new default interpreter (the editor's selection) applies on the next. */
  private async commandLine(runner: string): Promise<string> {
    const choice = choosePython(this.spec.python, this.context.python?.());
    const interpreter = await resolvePython(choice, this.spec.env.PATH ?? process.env.PATH);
    this.context.logger.info(`${this.spec.kind} ${this.spec.app} runs on ${interpreter} (${choice.source})`, this.spec.name);
    // exec: the interpreter replaces the shell, so it is the process the supervisor signals and waits for.
    return ['exec', interpreter, runner, this.spec.kind, this.spec.app, choice.source].map(shellQuote).join(' ');
  }

  private sourceChanged(file: string): void {
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      // Not running (onRequest, idle or stopped): the next start imports the new code anyway.
      if (this.command.status.state === 'idle') return;
      this.context.logger.info(`${file} changed; restarting`, this.spec.name);
      // One restart after another: a save during a restart that has already started the new
      // process must restart it again (a reload in flight would otherwise absorb it and serve the
      // code as it was before the save). A failed start is the mount's error state and its log
      // lines; nothing more to report here.
      this.restarts = this.restarts.then(() => this.command.reload()).catch(() => undefined);
    }, RELOAD_SETTLE_MS);
  }
}

/** POSIX sh single quoting; `exec` stays a bare word. */
function shellQuote(word: string): string {
  return word === 'exec' || /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
