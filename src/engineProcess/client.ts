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
 * after repeated crashes waits, backing off as command restarts do.
 */
import { setTimeout as delay } from 'node:timers/promises';
import {
  Backoff,
  Emitter,
  EngineStartError,
  errorMessage,
  Lifecycle,
  LogRing,
  mountId,
  readConfig,
  refusedStatus,
  kindOf,
  silentLogger,
  type AppStatus,
  type ConfigProblem,
  type EngineState,
  type Logger,
  type MountInfo,
  type MountSpec,
  type MountsConfig,
  type PythonChoice,
  type ReloadResult,
} from '../engine/index';
import { EngineConnection, EngineRequestError, describeExit, type Batch, type ProcessExit } from './connection';
import type { NodeRuntime } from './node';
import type { RequestParam, RequestType } from 'vscode-jsonrpc/node';
import { requests, type AppError, type EngineSnapshot, type LogLine, type WireError } from './protocol';

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

const NOT_STARTED: AppStatus = { state: 'stopped' };
/** How many of a run's last log lines a crash report keeps. */
const LAST_LINES = 20;
/** The engine's own stop deadline is its grace period (3 s) plus 10 s; past this, the process is killed. */
const STOP_DEADLINE_MS = 15_000;
/** Restarts after crashes wait as command restarts do; a person asked for them, so they never give up. */
const CRASH_BACKOFF = { initialMs: 250, maxMs: 10_000, crashLoopAfter: Number.POSITIVE_INFINITY, crashLoopWindowMs: 180_000, stableMs: 60_000 };

export class EngineClient {
  private readonly lifecycle = new Lifecycle();
  /** Fires when the state or the process's responsiveness changes. */
  readonly onDidChangeState = this.lifecycle.onDidChangeState;
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

  private connection: EngineConnection | undefined;
  private snapshot: EngineSnapshot | undefined;
  private _lastError: string | undefined;
  private _problems: readonly ConfigProblem[] = [];
  private _appProblems: readonly ConfigProblem[] = [];
  private _config: MountsConfig | undefined;
  private _crash: EngineCrash | undefined;
  /** The app error the current run reported, which ends its process. */
  private fatalAppError: AppError | undefined;
  private _runtime: NodeRuntime | undefined;
  private lastLines: string[] = [];
  private restricted: boolean;
  private accessLog: boolean;
  private liveReload: boolean;
  private python: PythonChoice | undefined;
  private portOverride: number | undefined;
  private inspect = false;
  private readonly backoff = new Backoff(CRASH_BACKOFF);
  private restartDelayMs = 0;
  private startedAt = 0;
  private readonly logger: Logger;

  constructor(private readonly options: EngineClientOptions) {
    this.logger = options.logger ?? silentLogger;
    this.restricted = options.restricted ?? false;
    this.accessLog = options.accessLog ?? true;
    this.liveReload = options.liveReload ?? true;
  }

  get configFile(): string {
    return this.options.configFile;
  }

  get state(): EngineState {
    return this.lifecycle.state;
  }

  /** False while a running engine process has not answered its heartbeat for 5 s. */
  get responsive(): boolean {
    return this.connection?.responsive ?? true;
  }

  get lastError(): string | undefined {
    return this._lastError;
  }

  /** Why the last run ended by itself, until the next start. */
  get crash(): EngineCrash | undefined {
    return this._crash;
  }

  get problems(): readonly ConfigProblem[] {
    return this._problems;
  }

  get appProblems(): readonly ConfigProblem[] {
    return this._appProblems;
  }

  get config(): MountsConfig | undefined {
    return this._config;
  }

  get port(): number | undefined {
    return this.running()?.port;
  }

  get url(): string | undefined {
    return this.running()?.url;
  }

  /** The engine process's id while one runs. */
  get pid(): number | undefined {
    return this.connection?.hasExited === false ? this.connection.pid : undefined;
  }

  /** The Node of the current (or last) run. */
  get runtime(): NodeRuntime | undefined {
    return this._runtime;
  }

  /** `ws://127.0.0.1:port/id` while the run is being debugged. */
  get inspectorUrl(): string | undefined {
    return this.connection?.hello?.inspectorUrl;
  }

  mounts(): MountInfo[] {
    const running = this.running();
    if (running) return [...running.mounts];
    return (this._config?.mounts ?? []).map((spec) => ({
      id: mountId(spec),
      spec,
      status: this.restricted && kindOf(spec).capabilities.runsCode ? refusedStatus(spec) : NOT_STARTED,
      requests: 0,
    }));
  }

  /** Where a browser reaches `spec` while serving. */
  urlOf(spec: Pick<MountSpec, 'prefix' | 'host'>): string | undefined {
    const url = this.url;
    if (url === undefined) return undefined;
    const root = new URL(url);
    const host = spec.host ?? root.hostname;
    return `${root.protocol}//${host}:${root.port}${spec.prefix === '/' ? '/' : `${spec.prefix}/`}`;
  }

  /** Reads mounts.json to show it, while no engine process runs (a running one reports its own). */
  async readConfig(): Promise<readonly ConfigProblem[]> {
    if (this.isServing()) return this._problems;
    return (await this.reload()).problems;
  }

  start(): Promise<void> {
    return this.lifecycle.transition('start', () => this.doStart());
  }

  stop(): Promise<void> {
    return this.lifecycle.transition('stop', () => this.doStop());
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
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
        if (this.snapshot?.state === 'stopped') await this.endRun();
        return result;
      }
      const { config, problems } = await readConfig(this.options.configFile);
      this.setProblems(problems, config ? [] : this._appProblems);
      if (config) this._config = config;
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
      this.restricted = restricted;
      if (this.isServing()) await this.request(requests.setRestricted, { restricted });
      else this._onDidChangeMounts.fire();
    });
  }

  setAccessLog(enabled: boolean): void {
    this.accessLog = enabled;
    if (this.isServing()) void this.request(requests.setAccessLog, { enabled }).catch(() => undefined);
  }

  setLiveReload(enabled: boolean): void {
    this.liveReload = enabled;
    if (this.isServing()) void this.request(requests.setLiveReload, { enabled }).catch(() => undefined);
  }

  /** The interpreter of wsgi and asgi mounts without their own `python` (undefined: python3 on the PATH). */
  setPython(python: PythonChoice | undefined): Promise<void> {
    return this.lifecycle.enqueue(async () => {
      this.python = python;
      if (this.isServing()) await this.request(requests.setPython, python ? { python } : {});
    });
  }

  /** Uses `port` instead of mounts.json's from the next start (0: a free port). */
  setPortOverride(port: number | undefined): void {
    this.portOverride = port;
  }

  dispose(): void {
    void this.stop();
    this.lifecycle.dispose();
    this._onDidChangeMounts.dispose();
    this._onAppError.dispose();
    this._onDidCrash.dispose();
  }

  private running(): EngineSnapshot | undefined {
    return this.lifecycle.state === 'started' || this.lifecycle.state === 'stopping' ? this.snapshot : undefined;
  }

  private isServing(): boolean {
    return this.lifecycle.state === 'started' && !!this.connection && !this.connection.hasExited;
  }

  private async request<P, R>(type: RequestType<P, R, WireError>, params: RequestParam<P>): Promise<R> {
    const connection = this.connection;
    if (!connection) throw new Error('the engine process is not running');
    try {
      return await connection.request(type, params);
    } catch (error) {
      throw error instanceof EngineRequestError ? new Error(error.message) : error;
    }
  }

  private async doStart(): Promise<void> {
    if (this.lifecycle.state === 'started') return;
    this._lastError = undefined;
    this._crash = undefined;
    this.fatalAppError = undefined;
    this.lifecycle.set('starting');
    let connection: EngineConnection | undefined;
    try {
      if (this.restartDelayMs > 0) {
        this.logger.info(`the engine process crashed again; restarting in ${(this.restartDelayMs / 1000).toFixed(1)} s`);
        await delay(this.restartDelayMs);
      }
      const runtime = await this.options.runtime();
      this._runtime = runtime;
      this.lastLines = [];
      connection = new EngineConnection({
        runtime,
        process: { configFile: this.options.configFile, restricted: this.restricted, accessLog: this.accessLog, liveReload: this.liveReload, python: this.python, port: this.portOverride, ...(this.options.https?.() ? { https: true } : {}) },
        inspect: this.inspect,
        heartbeatIntervalMs: this.options.heartbeatIntervalMs ?? 1000,
        heartbeatTimeoutMs: this.options.heartbeatTimeoutMs ?? 5000,
        script: this.options.script,
      });
      this.connection = connection;
      this.attach(connection);
      const hello = await connection.ready;
      this.logger.info(`engine process ${hello.pid} on Node ${hello.nodeVersion} (${hello.execPath})${hello.inspectorUrl ? `, inspector at ${hello.inspectorUrl}` : ''}`);
      await connection.request(requests.start, {});
      this.startedAt = Date.now();
      this.lifecycle.set('started');
      this._onDidChangeMounts.fire();
    } catch (error) {
      this._lastError = errorMessage(error);
      this.inspect = false;
      if (connection) {
        await connection.disconnect();
        connection.dispose();
      }
      this.connection = undefined;
      this.lifecycle.set('stopped');
      this._onDidChangeMounts.fire();
      throw error instanceof EngineRequestError && error.wire.reason
        ? new EngineStartError(error.message, error.wire.reason, error.wire.problems)
        : error;
    }
  }

  private async doStop(): Promise<void> {
    if (this.lifecycle.state === 'stopped') return;
    this.lifecycle.set('stopping');
    try {
      await this.endRun();
    } finally {
      this.lifecycle.set('stopped');
      this._onDidChangeMounts.fire();
    }
  }

  /** Ends the engine process: asks its engine to stop, kills it if it does not answer. */
  private async endRun(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    this.inspect = false;
    this.restartDelayMs = 0;
    if (!connection) return;
    try {
      if (!connection.responsive) {
        this.logger.warn(`the engine process ${connection.pid} is not responding: killing it`);
        await connection.kill();
        return;
      }
      const deadline = delay(STOP_DEADLINE_MS, 'deadline' as const);
      const stopped = connection.request(requests.stop, {}).then(
        () => 'stopped' as const,
        (error: unknown) => {
          if (!connection.hasExited) this.logger.error(`stopping the engine failed: ${errorMessage(error)}`);
          return 'stopped' as const;
        },
      );
      if ((await Promise.race([stopped, deadline])) === 'deadline') {
        this.logger.error(`the engine process ${connection.pid} did not stop within ${STOP_DEADLINE_MS / 1000} s: killing it`);
        await connection.kill();
      }
      await Promise.race([connection.exited, delay(1000)]);
      if (!connection.hasExited) await connection.kill();
    } finally {
      connection.dispose();
    }
  }

  private attach(connection: EngineConnection): void {
    connection.onBatch((batch) => this.applyBatch(batch));
    connection.onOutput(({ stream, line }) => {
      this.remember(line);
      // What the process printed itself: module apps' console output, as `mounts mcp` names it.
      this.recentLog.record(stream === 'stderr' ? 'warn' : 'info', line, stream);
      if (stream === 'stderr') this.logger.warn(line);
      else this.logger.info(line);
    });
    connection.onDidChangeResponsive((responsive) => {
      if (this.connection !== connection) return;
      if (responsive) this.logger.info(`the engine process ${connection.pid} answers again`);
      else this.logger.error(`the engine process ${connection.pid} has not answered for ${(this.options.heartbeatTimeoutMs ?? 5000) / 1000} s`);
      this.lifecycle.announce();
    });
    void connection.exited.then((exit) => this.exitedByItself(connection, exit));
  }

  private exitedByItself(connection: EngineConnection, exit: ProcessExit): void {
    // A stop, or a start that failed, ended it: nothing happened that nobody asked for.
    if (this.connection !== connection || this.lifecycle.state !== 'started') return;
    this.connection = undefined;
    connection.dispose();
    this.inspect = false;
    const appError = this.fatalAppError;
    const reason = appError
      ? `an app's ${appError.kind} ended the engine process: ${appError.error.split('\n', 1)[0]}`
      : `the engine process ${describeExit(exit)}`;
    const decision = this.backoff.next(Date.now() - this.startedAt);
    this.restartDelayMs = decision.crashLoop ? CRASH_BACKOFF.maxMs : decision.delayMs;
    this._lastError = reason;
    this._crash = { reason, lastLines: [...this.lastLines] };
    this.logger.error(`${reason}${this.lastLines.length ? `; its last lines:\n${this.lastLines.join('\n')}` : ''}`);
    this.lifecycle.set('stopped');
    this._onDidChangeMounts.fire();
    this._onDidCrash.fire(this._crash);
  }

  private applyBatch(batch: Batch): void {
    for (const line of batch.log) this.replay(line);
    if (batch.linesDropped > 0) this.logger.info(`(${batch.linesDropped} more log lines not shown: too many at once)`);
    for (const error of batch.appErrors) {
      // The engine process ends after reporting one (main.ts): it is the reason of the exit that follows.
      this.fatalAppError ??= error;
      this.recentLog.record('error', `an app's ${error.kind} ended the engine process`, undefined, error.error);
      for (const line of error.error.split('\n')) this.remember(line);
      this._onAppError.fire(error);
    }
    const next = batch.snapshot;
    if (!next) return;
    this.snapshot = next;
    // The engine clears its last error only when it starts, as this client does.
    if (next.lastError !== undefined) this._lastError = next.lastError;
    this.setProblems(next.problems, next.appProblems);
    if (next.config) this._config = next.config;
    this._onDidChangeMounts.fire();
  }

  /** Keeps the same arrays while their content is the same: a consumer compares by identity. */
  private setProblems(problems: readonly ConfigProblem[], appProblems: readonly ConfigProblem[]): void {
    if (JSON.stringify(problems) !== JSON.stringify(this._problems)) this._problems = problems;
    if (JSON.stringify(appProblems) !== JSON.stringify(this._appProblems)) this._appProblems = appProblems;
  }

  private replay(line: LogLine): void {
    if (line.level !== 'access') this.recentLog.record(line.level, line.message, line.source, line.error);
    switch (line.level) {
      case 'info':
        this.logger.info(line.message, line.source);
        break;
      case 'warn':
        this.logger.warn(line.message, line.source);
        break;
      case 'error':
        this.logger.error(line.message, line.error === undefined ? undefined : new ReplayedError(line.error), line.source);
        break;
      case 'access':
        this.logger.access(line.message);
        return;
    }
    this.remember(line.source ? `[${line.source}] ${line.message}` : line.message);
  }

  private remember(line: string): void {
    this.lastLines.push(line);
    if (this.lastLines.length > LAST_LINES) this.lastLines.shift();
  }
}

/** An error from the engine process, as its text: describeError() shows the original stack. */
class ReplayedError extends Error {
  constructor(text: string) {
    super(text.split('\n')[0]);
    this.stack = text;
  }
}
