/**
 * One run of the engine process, seen from the editor's client: its connection, what it reports
 * (log lines replayed to the editor's logger and kept in the recent log, the process's own output,
 * app errors), its last lines for a crash report, and how it ends: asked to stop, killed when it
 * does not answer; and how long the start after a crash waits. The client (`client.ts`) holds the
 * states and what the snapshots say.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { RequestParam, RequestType } from 'vscode-jsonrpc/node';
import { Backoff, EngineStartError, errorMessage, type Logger, type LogRing } from '../engine/index';
import { describeExit, EngineConnection, EngineRequestError, type ConnectionOptions, type ProcessExit } from './connection';
import { requests, type AppError, type Batch, type EngineSnapshot, type LogLine, type WireError } from './protocol';

/** How many of a run's last log lines a crash report keeps. */
const LAST_LINES = 20;
/** The engine's own stop deadline is its grace period (3 s) plus 10 s; past this, the process is killed. */
const STOP_DEADLINE_MS = 15_000;

export interface EngineRunOptions {
  /** The engine process to start. */
  readonly process: ConnectionOptions;
  readonly logger: Logger;
  /** The recent lines of every run, kept by the client: they outlive the process. */
  readonly recentLog: LogRing;
  /** A batch carried a new snapshot. */
  readonly onSnapshot: (snapshot: EngineSnapshot) => void;
  readonly onAppError: (error: AppError) => void;
  /** The process stopped or started answering its heartbeat. */
  readonly onResponsive: () => void;
  /** The process exited, asked to or not. */
  readonly onExit: (exit: ProcessExit) => void;
}

export class EngineRun {
  readonly connection: EngineConnection;
  private readonly lastLines: string[] = [];
  /** The app error this run reported, which ends its process. */
  private fatalAppError: AppError | undefined;
  /** Set once the client let go of this run: what its process says of its heartbeat no longer counts. */
  private released = false;

  constructor(private readonly options: EngineRunOptions) {
    const connection = new EngineConnection(options.process);
    this.connection = connection;
    connection.onBatch((batch) => this.applyBatch(batch));
    connection.onOutput(({ stream, line }) => {
      this.remember(line);
      // What the process printed itself: module apps' console output, as `mounts mcp` names it.
      options.recentLog.record(stream === 'stderr' ? 'warn' : 'info', line, stream);
      if (stream === 'stderr') options.logger.warn(line);
      else options.logger.info(line);
    });
    connection.onDidChangeResponsive((responsive) => {
      if (this.released) return;
      if (responsive) options.logger.info(`the engine process ${connection.pid} answers again`);
      else options.logger.error(`the engine process ${connection.pid} has not answered for ${options.process.heartbeatTimeoutMs / 1000} s`);
      options.onResponsive();
    });
    void connection.exited.then(options.onExit);
  }

  /**
   * Waits for the process's greeting, then has its engine start. A start the engine refused
   * rejects with an EngineStartError that says why (config, port, app).
   */
  async start(): Promise<void> {
    const hello = await this.connection.ready;
    const inspector = hello.inspectorUrl ? `, inspector at ${hello.inspectorUrl}` : '';
    this.options.logger.info(`engine process ${hello.pid} on Node ${hello.nodeVersion} (${hello.execPath})${inspector}`);
    try {
      await this.connection.request(requests.start, {});
    } catch (error) {
      throw error instanceof EngineRequestError && error.wire.reason ? new EngineStartError(error.message, error.wire.reason, error.wire.problems) : error;
    }
  }

  /** Asks the engine; its error arrives as a plain Error with the engine's message. */
  async request<P, R>(type: RequestType<P, R, WireError>, params: RequestParam<P>): Promise<R> {
    try {
      return await this.connection.request(type, params);
    } catch (error) {
      throw error instanceof EngineRequestError ? new Error(error.message) : error;
    }
  }

  /** Lets go of a run whose start failed: closes its channel, which ends the process. */
  async abandon(): Promise<void> {
    await this.connection.disconnect();
    this.dispose();
  }

  /** Why the run ended by itself, and the lines that led there. */
  crash(exit: ProcessExit): { readonly reason: string; readonly lastLines: readonly string[] } {
    const appError = this.fatalAppError;
    const reason = appError
      ? `an app's ${appError.kind} ended the engine process: ${appError.error.split('\n', 1)[0]}`
      : `the engine process ${describeExit(exit)}`;
    return { reason, lastLines: [...this.lastLines] };
  }

  /** Ends the engine process: asks its engine to stop, kills it if it does not answer. */
  async end(): Promise<void> {
    this.released = true;
    const connection = this.connection;
    const logger = this.options.logger;
    try {
      if (!connection.responsive) {
        logger.warn(`the engine process ${connection.pid} is not responding: killing it`);
        await connection.kill();
        return;
      }
      const deadline = delay(STOP_DEADLINE_MS, 'deadline' as const);
      const stopped = connection.request(requests.stop, {}).then(
        () => 'stopped' as const,
        (error: unknown) => {
          if (!connection.hasExited) logger.error(`stopping the engine failed: ${errorMessage(error)}`);
          return 'stopped' as const;
        },
      );
      if ((await Promise.race([stopped, deadline])) === 'deadline') {
        logger.error(`the engine process ${connection.pid} did not stop within ${STOP_DEADLINE_MS / 1000} s: killing it`);
        await connection.kill();
      }
      await Promise.race([connection.exited, delay(1000)]);
      if (!connection.hasExited) await connection.kill();
    } finally {
      connection.dispose();
    }
  }

  /** Lets go of a run whose process is gone. */
  dispose(): void {
    this.released = true;
    this.connection.dispose();
  }

  private applyBatch(batch: Batch): void {
    for (const line of batch.log) this.replay(line);
    if (batch.linesDropped > 0) this.options.logger.info(`(${batch.linesDropped} more log lines not shown: too many at once)`);
    for (const error of batch.appErrors) {
      // The engine process ends after reporting one (main.ts): it is the reason of the exit that follows.
      this.fatalAppError ??= error;
      this.options.recentLog.record('error', `an app's ${error.kind} ended the engine process`, undefined, error.error);
      for (const line of error.error.split('\n')) this.remember(line);
      this.options.onAppError(error);
    }
    if (batch.snapshot) this.options.onSnapshot(batch.snapshot);
  }

  private replay(line: LogLine): void {
    const { logger, recentLog } = this.options;
    if (line.level !== 'access') recentLog.record(line.level, line.message, line.source, line.error);
    switch (line.level) {
      case 'info':
        logger.info(line.message, line.source);
        break;
      case 'warn':
        logger.warn(line.message, line.source);
        break;
      case 'error':
        logger.error(line.message, line.error === undefined ? undefined : new ReplayedError(line.error), line.source);
        break;
      case 'access':
        logger.access(line.message);
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

/** Restarts after crashes wait as command restarts do; a person asked for them, so they never give up. */
const CRASH_BACKOFF = { initialMs: 250, maxMs: 10_000, crashLoopAfter: Number.POSITIVE_INFINITY, crashLoopWindowMs: 180_000, stableMs: 60_000 };

/** How long the next start waits: longer after each crash of a run that did not stay up, none after a stop. */
export class CrashBackoff {
  private readonly backoff = new Backoff(CRASH_BACKOFF);
  private delayMs = 0;
  private startedAt = 0;

  /** Waits out the delay a crash left, saying so. */
  async wait(logger: Logger): Promise<void> {
    if (this.delayMs <= 0) return;
    logger.info(`the engine process crashed again; restarting in ${(this.delayMs / 1000).toFixed(1)} s`);
    await delay(this.delayMs);
  }

  /** A run started: how long it stays up decides the delay after its crash. */
  started(): void {
    this.startedAt = Date.now();
  }

  crashed(): void {
    const decision = this.backoff.next(Date.now() - this.startedAt);
    this.delayMs = decision.crashLoop ? CRASH_BACKOFF.maxMs : decision.delayMs;
  }

  /** A stop asked for: the next start is a person's, and waits for nothing. */
  stopped(): void {
    this.delayMs = 0;
  }
}
