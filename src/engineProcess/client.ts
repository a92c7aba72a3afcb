/**
 * The editor's handle on one folder's engine: the engine runs in its own process (`main.ts`), on
 * the user's Node, and this client mirrors what it reports. Plain Node (no 'vscode'), so it is tested
 * against a real engine process without an editor.
 *
 *                 start()               engine listens
 *   stopped ───────────────▶ starting ──────────────────▶ started ◀──┐ pong
 *      ▲  ▲                     │ fails (config, port,      │        │
 *      │  │                     │ app, no Node, exits)      │ no pong for 5 s: responsive = false
 *      │  └─────────────────────┘ (lastError)               │ process exits: lastError, crash
 *      │                                                    ▼ stop()
 *      └──────────────────────────────────────────────── stopping (port free, process gone)
 *
 * One engine process per run: start() forks it, stop() ends it. While no process runs, the client
 * reads mounts.json itself (parsing runs no user code), so the editor shows the mounts of a folder
 * that does not serve. A run that ends by itself (a crash, or an app's error thrown outside a
 * request, which ends the process) leaves `crash` with the reason and the last lines; the next start
 * after repeated crashes waits, backing off as command restarts do. How a run starts, what it
 * reports, how it ends and how long a start after crashes waits is `run.ts`; the mounts, their
 * status and URLs are the engine's own snapshot, as it sent it.
 */
import {
  Emitter,
  errorMessage,
  LifecycleOwner,
  LogRing,
  readConfig,
  silentLogger,
  type ConfigProblem,
  type Logger,
  type MountInfo,
  type MountSpec,
  type MountsConfig,
  type PythonChoice,
  type ReloadResult,
} from '../engine/index';
import type { RequestParam, RequestType } from 'vscode-jsonrpc/node';
import type { ProcessExit } from './connection';
import type { NodeRuntime } from './node';
import { requests, type AppError, type EngineSnapshot, type WireError } from './protocol';
import { CrashBackoff, EngineRun } from './run';
import { EngineView } from './view';

// What the editor may use of the engine without running it: config parsing, the export (a pure
// function of mounts.json), the kinds' descriptors (plain data) and the words for things. eslint
// holds ui/ to this list.
export {
  describeError,
  describeTarget,
  EngineStartError,
  errorMessage,
  EXPORT_FILE_NAMES,
  ExportConfigError,
  exportMounts,
  isExportTarget,
  kindOf,
  LineIndex,
  MENU_CAPABILITIES,
  parseConfig,
} from '../engine/index';
export type { AppState, AppStatus, ConfigProblem, EngineState, ExportTarget, Logger, MountInfo, MountKind, MountSpec, MountsConfig, PythonChoice, SourceRange } from '../engine/index';
export type { AppError } from './protocol';
export { describeRuntime, NodeRuntimeError, resolveNode, type NodeRuntime } from './node';

export interface EngineClientOptions {
  /** Absolute path of mounts.json. */
  readonly configFile: string;
  /** Which Node runs the engine process; asked at every start, so a changed setting applies. */
  readonly runtime: () => Promise<NodeRuntime>;
  readonly logger?: Logger;
  readonly restricted?: boolean;
  readonly accessLog?: boolean;
  /** Default true. */
  readonly liveReload?: boolean;
  /** The `mounts.https` setting, asked at every start: true serves HTTPS whatever mounts.json says. */
  readonly https?: () => boolean;
  /** Default 1000 and 5000 ms. */
  readonly heartbeatIntervalMs?: number;
  readonly heartbeatTimeoutMs?: number;
  /** The engine process script (tests); default: found beside the client. */
  readonly script?: string;
}

/** What reload() answers, whether an engine process serves or not. */
export type ReloadConfigResult = Pick<ReloadResult, 'ok' | 'problems' | 'errors'>;

/** Why the last run ended by itself: the exit, and the last lines it logged. */
export interface EngineCrash {
  readonly reason: string;
  readonly lastLines: readonly string[];
}

/** Its onDidChangeState also fires when the process's responsiveness changes. */
export class EngineClient extends LifecycleOwner {
  private readonly _onDidChangeMounts = new Emitter<void>();
  /** Fires when the mounts, their status or counters, or the config's problems change. */
  readonly onDidChangeMounts = this._onDidChangeMounts.event;
  private readonly _onAppError = new Emitter<AppError>();
  /** An app's error outside any request; the engine keeps serving. */
  readonly onAppError = this._onAppError.event;
  private readonly _onDidCrash = new Emitter<EngineCrash>();
  /** The engine process ended without being asked to. */
  readonly onDidCrash = this._onDidCrash.event;
  /**
   * The recent lines of every run, for the agent tools: kept here, not in the engine process, so
   * the lines that led to a crash can still be read after the process is gone.
   */
  readonly recentLog = new LogRing();

  private run: EngineRun | undefined;
  private readonly view = new EngineView(
    () => this.lifecycle.state === 'started' || this.lifecycle.state === 'stopping',
    () => this.settings.restricted,
  );
  private _lastError: string | undefined;
  private _crash: EngineCrash | undefined;
  private _runtime: NodeRuntime | undefined;
  /** What the next run starts with; a running one is told of changes as they come. */
  private readonly settings: { restricted: boolean; accessLog: boolean; liveReload: boolean; python?: PythonChoice; port?: number };
  private inspect = false;
  private readonly crashBackoff = new CrashBackoff();
  private readonly logger: Logger;

  constructor(private readonly options: EngineClientOptions) {
    super();
    this.logger = options.logger ?? silentLogger;
    this.settings = { restricted: options.restricted ?? false, accessLog: options.accessLog ?? true, liveReload: options.liveReload ?? true };
  }

  get configFile(): string {
    return this.options.configFile;
  }

  /** False while a running engine process has not answered its heartbeat for 5 s. */
  get responsive(): boolean {
    return this.run?.connection.responsive ?? true;
  }

  get lastError(): string | undefined {
    return this._lastError;
  }

  /** Why the last run ended by itself, until the next start. */
  get crash(): EngineCrash | undefined {
    return this._crash;
  }

  get problems(): readonly ConfigProblem[] {
    return this.view.problems;
  }

  get appProblems(): readonly ConfigProblem[] {
    return this.view.appProblems;
  }

  get config(): MountsConfig | undefined {
    return this.view.config;
  }

  get port(): number | undefined {
    return this.view.port;
  }

  get url(): string | undefined {
    return this.view.url;
  }

  /** The engine process's id while one runs. */
  get pid(): number | undefined {
    const connection = this.run?.connection;
    return connection?.hasExited === false ? connection.pid : undefined;
  }

  /** The Node of the current (or last) run. */
  get runtime(): NodeRuntime | undefined {
    return this._runtime;
  }

  /** `ws://127.0.0.1:port/id` while the run is being debugged. */
  get inspectorUrl(): string | undefined {
    return this.run?.connection.hello?.inspectorUrl;
  }

  /** The engine's mounts as its last snapshot has them while it serves; else as mounts.json reads. */
  mounts(): MountInfo[] {
    return this.view.mounts();
  }

  /** Where a browser reaches the mount `spec` names while serving, as the engine said. */
  urlOf(spec: Pick<MountSpec, 'prefix' | 'host'>): string | undefined {
    return this.view.urlOf(spec);
  }

  /** Reads mounts.json to show it, while no engine process runs (a running one reports its own). */
  async readConfig(): Promise<readonly ConfigProblem[]> {
    if (this.isServing()) return this.view.problems;
    return (await this.reload()).problems;
  }

  /**
   * Restarts the run with the inspector open on a free loopback port and resolves with its port;
   * the run stays debuggable until it stops. A run already debuggable keeps going.
   */
  async debug(): Promise<{ readonly port: number; readonly url: string }> {
    if (this.lifecycle.state !== 'started' || !this.inspectorUrl) {
      await this.stop();
      this.inspect = true;
      await this.start();
    }
    const url = this.inspectorUrl ?? (await this.request(requests.debug, {}));
    return { port: Number(new URL(url).port), url };
  }

  /** Re-reads mounts.json; while serving, applies it (a broken file changes nothing that serves). */
  reload(): Promise<ReloadConfigResult> {
    return this.lifecycle.enqueue(async () => {
      if (this.isServing()) {
        const result = await this.request(requests.reloadConfig, {});
        // A rebind that could not get any address stopped the engine: the run is over.
        if (this.view.engineStopped) await this.endRun();
        return result;
      }
      const { config, problems } = await readConfig(this.options.configFile);
      this.view.applyRead(config, problems);
      this._onDidChangeMounts.fire();
      return { ok: !!config, problems, errors: [] };
    });
  }

  async reloadApp(id: string): Promise<void> {
    if (!this.isServing()) throw new Error(`No mount "${id}" is being served.`);
    await this.request(requests.reloadApp, { id });
  }

  async fileChanged(file: string): Promise<readonly string[]> {
    if (!this.isServing()) return [];
    return this.request(requests.fileChanged, { file });
  }

  setRestricted(restricted: boolean): Promise<void> {
    return this.lifecycle.enqueue(async () => {
      this.settings.restricted = restricted;
      if (this.isServing()) await this.request(requests.setRestricted, { restricted });
      else this._onDidChangeMounts.fire();
    });
  }

  setAccessLog(enabled: boolean): void {
    this.settings.accessLog = enabled;
    if (this.isServing()) void this.request(requests.setAccessLog, { enabled }).catch(() => undefined);
  }

  setLiveReload(enabled: boolean): void {
    this.settings.liveReload = enabled;
    if (this.isServing()) void this.request(requests.setLiveReload, { enabled }).catch(() => undefined);
  }

  /** The interpreter of wsgi and asgi mounts without their own `python` (undefined: python3 on the PATH). */
  setPython(python: PythonChoice | undefined): Promise<void> {
    return this.lifecycle.enqueue(async () => {
      this.settings.python = python;
      if (this.isServing()) await this.request(requests.setPython, python ? { python } : {});
    });
  }

  /** Uses `port` instead of mounts.json's from the next start (0: a free port). */
  setPortOverride(port: number | undefined): void {
    this.settings.port = port;
  }

  override dispose(): void {
    super.dispose();
    this._onDidChangeMounts.dispose();
    this._onAppError.dispose();
    this._onDidCrash.dispose();
  }

  private isServing(): boolean {
    return this.lifecycle.state === 'started' && !!this.run && !this.run.connection.hasExited;
  }

  private async request<P, R>(type: RequestType<P, R, WireError>, params: RequestParam<P>): Promise<R> {
    if (!this.run) throw new Error('the engine process is not running');
    return this.run.request(type, params);
  }

  protected async doStart(): Promise<void> {
    if (this.lifecycle.state === 'started') return;
    this._lastError = undefined;
    this._crash = undefined;
    this.lifecycle.set('starting');
    let run: EngineRun | undefined;
    try {
      await this.crashBackoff.wait(this.logger);
      const runtime = await this.options.runtime();
      this._runtime = runtime;
      run = this.fork(runtime);
      this.run = run;
      await run.start();
      this.crashBackoff.started();
      this.lifecycle.set('started');
      this._onDidChangeMounts.fire();
    } catch (error) {
      this._lastError = errorMessage(error);
      this.inspect = false;
      await run?.abandon();
      this.run = undefined;
      this.lifecycle.set('stopped');
      this._onDidChangeMounts.fire();
      throw error;
    }
  }

  /** Starts the engine process of a run, with the settings as they are now. */
  private fork(runtime: NodeRuntime): EngineRun {
    const https = this.options.https?.() ? { https: true } : {};
    const run: EngineRun = new EngineRun({
      process: {
        runtime,
        process: { configFile: this.options.configFile, ...this.settings, ...https },
        inspect: this.inspect,
        heartbeatIntervalMs: this.options.heartbeatIntervalMs ?? 1000,
        heartbeatTimeoutMs: this.options.heartbeatTimeoutMs ?? 5000,
        script: this.options.script,
      },
      logger: this.logger,
      recentLog: this.recentLog,
      onSnapshot: (snapshot) => this.applySnapshot(snapshot),
      onAppError: (error) => this._onAppError.fire(error),
      onResponsive: () => this.lifecycle.announce(),
      onExit: (exit) => this.exitedByItself(run, exit),
    });
    return run;
  }

  protected async doStop(): Promise<void> {
    if (this.lifecycle.state === 'stopped') return;
    this.lifecycle.set('stopping');
    try {
      await this.endRun();
    } finally {
      this.lifecycle.set('stopped');
      this._onDidChangeMounts.fire();
    }
  }

  private async endRun(): Promise<void> {
    const run = this.run;
    this.run = undefined;
    this.inspect = false;
    this.crashBackoff.stopped();
    await run?.end();
  }

  private exitedByItself(run: EngineRun, exit: ProcessExit): void {
    // A stop, or a start that failed, ended it: nothing happened that nobody asked for.
    if (this.run !== run || this.lifecycle.state !== 'started') return;
    this.run = undefined;
    run.dispose();
    this.inspect = false;
    const crash = run.crash(exit);
    this.crashBackoff.crashed();
    this._lastError = crash.reason;
    this._crash = crash;
    this.logger.error(`${crash.reason}${crash.lastLines.length ? `; its last lines:\n${crash.lastLines.join('\n')}` : ''}`);
    this.lifecycle.set('stopped');
    this._onDidChangeMounts.fire();
    this._onDidCrash.fire(crash);
  }

  private applySnapshot(next: EngineSnapshot): void {
    this.view.applySnapshot(next);
    // The engine clears its last error only when it starts, as this client does.
    if (next.lastError !== undefined) this._lastError = next.lastError;
    this._onDidChangeMounts.fire();
  }
}
