/**
 * Command mounts: start a local app with a shell command, wait until it listens, forward its prefix
 * to it (HTTP and WebSocket upgrades, through the proxy's forwarder, `proxy/forwarder.ts`), restart
 * it when it dies, stop it with the engine.
 *
 *                     spawn, then poll port / readyPath
 *   idle ──request──▶ starting ─────────────────────────▶ ready ──exit──▶ backoff ──timer──▶ starting
 *    ▲                 │ exit before ready,                 │ idleTimeout    │ crash loop
 *    │                 │ not ready in time                  │ (onRequest)    ▼
 *    └─────────────────┼────────────────────────────────────┘              error ◀─ exit, restart "never"
 *                      └──────────────────────────────────────────────────▶ error
 *   A restart (the timer from backoff) that exits before ready is one more failure: back to backoff.
 *   reload(): any state ──▶ starting (the old process is gone before the new one starts)
 *   close():  any state ──▶ stopped (resolves when every process of every run is gone)
 *
 * - Requests (and upgrades) wait while the command starts, up to `readyTimeout`; in `backoff`,
 *   `error` or `stopped` they get a 503 page with the reason and the last lines of output.
 * - The process tree is run by a supervisor (see `supervisor.ts` and `command/process.ts`) so that it
 *   dies with the engine even when the engine is SIGKILLed.
 * - `MOUNT_PREFIX` is the prefix as in Express's `req.baseUrl`: '/app', and '' for the catch-all.
 * - While the engine serves HTTPS, NODE_EXTRA_CA_CERTS, SSL_CERT_FILE and REQUESTS_CA_BUNDLE make
 *   the process trust the local CA (so it can call its sibling mounts), unless the mount's env sets them.
 * - `readyPath` names a path of the app as mounted and is mapped like a request: `/health` on a
 *   mount at `/blog` is asked of the app as `/health`, or as `/blog/health` with `stripPrefix: false`.
 */
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Emitter } from '../../events';
import { errorMessage, type Logger } from '../../logger';
import { LineSplitter } from '../../lineSplitter';
import { freePort, isPortInUse } from '../../ports';
import type { CommandMountSpec } from '../../spec';
import type { ChildTrust } from '../../tls/childTrust';
import { HttpError, type App, type AppFactory, type AppStatus, type FailRequest, type MountedRequest, type RootPaths } from '../app';
import { Tail } from './output';
import { commandEnvironment, LOOPBACK } from './environment';
import { Gate } from './gate';
import { IdleStop } from './idleStop';
import { sameStatus, statusOf, type Phase } from './phase';
import { checkWorkingFolder, locateSupervisor, SupervisedProcess, type ProcessExit } from './process';
import { recogniseFramework } from './frameworks';
import { groupListeningPorts } from './listeners';
import { startOutcome } from './readiness';
import { Backoff, describeExit, shouldRestart } from './restart';
import { forwardWhenReady, onceMoreIfDropped, upgradeWhenReady, type Readiness } from './waiting';
import { createForwarder, type Forwarder } from '../proxy/forwarder';

/** Milliseconds between SIGTERM and SIGKILL when stopping. */
const KILL_GRACE_MS = 2000;
/** Lines of output kept for error pages and the editor. */
const TAIL_LINES = 20;

export const createCommandApp: AppFactory<CommandMountSpec> = async (spec, context) => {
  const framework = await recogniseFramework(spec);
  if (!framework) return new CommandApp(spec, context.logger, undefined, context.trust);
  context.logger.info(`a ${framework.preset.name} dev server: Mounts passes it its port${framework.spec.stripPrefix ? '' : ' and base path'}`, spec.name);
  for (const line of framework.advice) context.logger.warn(line, spec.name);
  return new CommandApp(framework.spec, context.logger, async (port) => framework.command(port), context.trust, true, framework.rootPaths);
};

/**
 * Decides a run's command line just before it starts on `port`: for kinds built on this one (Python
 * resolves its interpreter then, so a new choice applies at the next start) and framework presets
 * (which pass the port as the framework takes it). A rejection is the run's failure and reason.
 */
export type CommandLauncher = (port: number) => Promise<string>;

/** One start of the command. */
interface Run {
  readonly abort: AbortController;
  /**
   * Started by the restart policy: an exit before ready is then one more failure to back off from.
   * A first start (or one after reload) that fails goes to `error`: its cause wants fixing, not retries.
   */
  readonly restarted: boolean;
  /** Set when the engine stops this run on purpose: its exit is then not a failure. */
  stopping: boolean;
  port?: number;
  process?: SupervisedProcess;
  readyAt?: number;
}

export class CommandApp implements App {
  private phase: Phase = 'idle';
  private _status: AppStatus = { state: 'idle' };
  private reason: string | undefined;
  private detail: string | undefined;
  private readonly _onDidChangeStatus = new Emitter<AppStatus>();
  readonly onDidChangeStatus = this._onDidChangeStatus.event;

  private run: Run | undefined;
  private gate: Gate | undefined;
  /** Every process not yet gone, including runs being stopped. */
  private readonly living = new Set<SupervisedProcess>();
  private readonly tail = new Tail(TAIL_LINES);
  private readonly forwarder: Forwarder;
  private readonly backoff = new Backoff();
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly idle: IdleStop;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly spec: CommandMountSpec,
    private readonly logger: Logger,
    private readonly launcher: CommandLauncher = async () => spec.command,
    /** The local CA's files while the engine serves HTTPS, named in each new process's environment. */
    private readonly trust?: () => ChildTrust | undefined,
    /** A framework dev server's: its own client reloads its pages, and what it serves at the root (see `App`). */
    readonly reloadsOwnPages = false,
    readonly rootPaths?: RootPaths,
  ) {
    locateSupervisor(); // A broken installation is a load error, not a failure on the first request.
    this.forwarder = createForwarder({
      name: spec.name,
      target: () => (this.phase === 'ready' && this.run?.port !== undefined ? `http://${LOOPBACK}:${this.run.port}` : undefined),
      stripPrefix: spec.stripPrefix,
      timeoutSeconds: spec.timeout,
      logger,
    });
    this.idle = new IdleStop(spec.idleTimeout * 1000, () => spec.start === 'onRequest' && this.phase === 'ready', () => this.stopIdle());
    if (spec.start === 'eager') this.startRun();
    else this.setPhase('idle', 'starts on the first request');
  }

  get status(): AppStatus {
    return this._status;
  }

  /** The current run's process, for tests and diagnostics. */
  get process(): SupervisedProcess | undefined {
    return this.run?.process;
  }

  handle(req: MountedRequest, res: ServerResponse, fail: FailRequest): void {
    this.idle.hold();
    res.once('close', () => this.idle.release());
    const sentTo = this.run;
    const again = (last: FailRequest): void => forwardWhenReady(this.whenReady(), this.forwarder, req, res, last);
    forwardWhenReady(this.whenReady(), this.forwarder, req, res, onceMoreIfDropped(req, res, fail, () => sentTo?.stopping === true, again));
  }

  upgrade(req: MountedRequest, socket: Duplex, head: Buffer): void {
    this.idle.hold();
    socket.once('close', () => this.idle.release());
    upgradeWhenReady(this.whenReady(), this.forwarder, req, socket, head, this.logger, this.spec.name);
  }

  /** Restarts the command; resolves when the new process is ready, rejects when it fails to get there. */
  async reload(): Promise<void> {
    if (this.phase === 'closed') throw new Error(`${this.spec.name} is stopped.`);
    this.backoff.reset();
    const old = this.run;
    // Requests arriving meanwhile wait for the new process.
    const gate = (this.gate ??= new Gate());
    if (old) {
      this.logger.info('restarting', this.spec.name);
      void this.stopRun(old);
    }
    this.startRun();
    await gate.promise;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      clearTimeout(this.restartTimer);
      this.idle.cancel();
      const run = this.run;
      if (run) void this.stopRun(run);
      this.releaseWaiting(new HttpError(503, `${this.spec.name} is stopping.`));
      this.setPhase('closed', 'stopped');
      const results = await Promise.allSettled([...[...this.living].map((child) => child.stop(KILL_GRACE_MS)), this.forwarder.close()]);
      this._onDidChangeStatus.dispose();
      const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) throw failed.reason;
    })();
    return this.closing;
  }

  private whenReady(): Readiness {
    switch (this.phase) {
      case 'ready':
        return true;
      case 'idle':
        this.startRun();
        return this.gate!.promise;
      case 'starting':
        return this.gate!.promise;
      case 'closed':
        return new HttpError(503, `${this.spec.name} is stopping.`);
      default:
        return this.unavailable();
    }
  }

  private unavailable(): HttpError {
    return new HttpError(503, `${this.spec.name} is not available: ${this.reason ?? this.phase}.`, this.detail);
  }

  private startRun(restarted = false): void {
    clearTimeout(this.restartTimer);
    this.idle.cancel();
    const run: Run = { abort: new AbortController(), restarted, stopping: false };
    this.run = run;
    this.gate ??= new Gate();
    this.tail.clear();
    this.setPhase('starting', 'starting');
    void this.launch(run).catch((error: unknown) => {
      if (run === this.run) this.fail(`could not be started: ${errorMessage(error)}`);
    });
  }

  private async launch(run: Run): Promise<void> {
    const spec = this.spec;
    // A previous run (reload, restart, idle stop) must be gone first: it may hold the port.
    await Promise.all([...this.living].map((child) => child.gone));
    if (run !== this.run || run.stopping) return;
    await checkWorkingFolder(spec.cwd);
    const port = spec.port !== 0 ? spec.port : await freePort();
    if (spec.port !== 0 && (await isPortInUse(port))) throw new Error(`port ${port} is already in use by another process`);
    const command = await this.launcher(port);
    if (run !== this.run || run.stopping) return;

    run.port = port;
    const child = this.spawn(run, command, port);
    const listening = async () => (child.pid === undefined ? [] : groupListeningPorts(child.pid));
    const readyOptions = { headers: { 'X-Forwarded-Prefix': spec.prefix }, listening };
    const end = await startOutcome(port, this.upstreamReadyPath(), run.abort, readyOptions, child.exited, spec.readyTimeout * 1000);
    if (run !== this.run || run.stopping) return;
    if (end.outcome === 'ready') {
      run.port = end.port;
      if (run.port !== port) this.logger.warn(`listens on port ${run.port}, not on the port Mounts gave it in $PORT (${port}): forwarding to ${run.port}`, spec.name);
      run.readyAt = Date.now();
      this.logger.info(`ready on port ${port}`, spec.name);
      this.setPhase('ready', undefined);
      this.releaseWaiting();
      this.idle.arm();
    } else if (end.outcome === 'timeout') this.notReadyInTime(run, port, end.elsewhere);
    // 'exited' is handled by exited().
  }

  /** Starts the run's process, its output going to the tail and the log, its exit to `exited`. */
  private spawn(run: Run, command: string, port: number): SupervisedProcess {
    const spec = this.spec;
    const onLine = (line: string) => {
      this.tail.push(line);
      this.logger.info(line, spec.name);
    };
    const splitters = { stdout: new LineSplitter(onLine), stderr: new LineSplitter(onLine) };
    const child = new SupervisedProcess({
      command,
      cwd: spec.cwd,
      env: commandEnvironment(this.spec, port, this.trust?.()),
      onOutput: (text, stream) => splitters[stream].push(text),
      onSpawned: () => {
        if (run === this.run) this.setPhase(this.phase, this.reason, this.detail);
      },
    });
    run.process = child;
    this.living.add(child);
    void child.gone.then(() => this.living.delete(child));
    this.logger.info(`started \`${command}\` in ${spec.cwd} with PORT=${port}`, spec.name);
    this.setPhase('starting', spec.readyPath ? `waiting for GET ${spec.readyPath} on port ${port} to answer` : `waiting for port ${port} to accept connections`);
    void child.exited.then((exit) => {
      splitters.stdout.flush();
      splitters.stderr.flush();
      this.exited(run, exit);
    });
    return child;
  }

  /** The run did not get ready within `readyTimeout`: stopped, and a restart backs off, a first start fails. */
  private notReadyInTime(run: Run, port: number, elsewhere: readonly number[]): void {
    const spec = this.spec;
    const waitedFor =
      (spec.readyPath ? `GET ${spec.readyPath} did not answer without an error` : `nothing accepted connections on port ${port}`) +
      (elsewhere.length > 0 ? `; it listens on port ${elsewhere.join(', ')} instead` : '');
    const what = `was not ready after ${spec.readyTimeout} s (${waitedFor})`;
    if (run.restarted && spec.restart !== 'never') {
      // A restart that hangs is one more failure, as one that exits is: stop it and back off.
      this.logger.warn(`${what}; stopping it`, spec.name);
      void this.stopRun(run);
      this.backOff(what, 'not ready in time', 0, 'failed');
    } else {
      this.fail(`${what}; it was stopped`);
      void this.stopRun(run);
    }
  }

  private exited(run: Run, exit: ProcessExit): void {
    if (run !== this.run || run.stopping) return;
    const how = describeExit(exit);
    const wasReady = run.readyAt !== undefined;
    const what = wasReady ? `exited (${how})` : exit.error !== undefined ? `could not be started: ${how}` : `exited before it was ready (${how})`;
    if (!wasReady && !run.restarted) {
      this.fail(what);
      return;
    }
    this.run = undefined;
    this.logger.warn(what, this.spec.name);
    if (shouldRestart(this.spec.restart, exit)) {
      this.backOff(what, how, wasReady ? Date.now() - run.readyAt! : 0);
      return;
    }
    if (exit.code !== 0) {
      this.fail(`${what}; restart is "${this.spec.restart}"`);
      return;
    }
    if (this.spec.start === 'onRequest') this.setPhase('idle', `${what}; starts again on the next request`);
    else this.setPhase('stopped', `${what}; reload it to start it again`, this.tail.text());
    // Requests that waited for a start that ended: the 503 with the reason, not a wait for the next.
    this.releaseWaiting(this.unavailable());
  }

  /**
   * A run failed and the policy restarts it: after the next back-off delay, or not at all once the
   * failures make a crash loop. Requests that waited for this run get the 503 with the reason, not
   * a wait for the next one. `uptimeMs` is how long it had been ready (0: never); `failed` says
   * how the crash loop reads ('exited' when every failure was an exit).
   */
  private backOff(what: string, how: string, uptimeMs: number, failed: 'exited' | 'failed' = 'exited'): void {
    const decision = this.backoff.next(uptimeMs);
    if (decision.crashLoop) {
      const seconds = Number((decision.withinMs / 1000).toFixed(1));
      this.fail(`crash loop: ${failed} ${decision.exits} times in ${seconds} s (last: ${how}); not restarting until it is reloaded`);
      return;
    }
    const seconds = decision.delayMs / 1000;
    this.setPhase('backoff', `${what}; restarting in ${seconds} s`, this.tail.text());
    this.logger.info(`restarting in ${seconds} s (attempt ${decision.attempt})`, this.spec.name);
    this.restartTimer = setTimeout(() => this.startRun(true), decision.delayMs);
    this.releaseWaiting(this.unavailable());
  }

  /** The mount is in error: waiting requests get the 503, the editor the reason and the last lines. */
  private fail(reason: string): void {
    this.setPhase('error', reason, this.tail.text());
    this.logger.error(reason, undefined, this.spec.name);
    this.releaseWaiting(this.unavailable());
  }

  /** Lets the requests waiting for a start go on to the app, or answers them with `error`. */
  private releaseWaiting(error?: HttpError): void {
    if (error === undefined) this.gate?.resolve();
    else this.gate?.reject(error);
    this.gate = undefined;
  }

  /** Stops one run's process tree; its exit is expected and not reported as a failure. */
  private stopRun(run: Run): Promise<void> {
    run.stopping = true;
    run.abort.abort();
    if (this.run === run) this.run = undefined;
    return run.process?.stop(KILL_GRACE_MS) ?? Promise.resolve();
  }

  /** `readyPath` is a path of the app as mounted, mapped like a request: with the prefix unless stripped. */
  private upstreamReadyPath(): string | undefined {
    const { readyPath, stripPrefix, prefix } = this.spec;
    return readyPath === undefined || stripPrefix || prefix === '/' ? readyPath : prefix + readyPath;
  }

  /** An onRequest command that served nothing for `idleTimeout` seconds is stopped until the next request. */
  private stopIdle(): void {
    const run = this.run;
    if (!run) return;
    this.logger.info(`no requests for ${this.spec.idleTimeout} s; stopping until the next request`, this.spec.name);
    void this.stopRun(run);
    this.setPhase('idle', `stopped after ${this.spec.idleTimeout} s without requests; starts on the next request`);
  }

  /** The one status setter: fires when anything the editor shows changed. */
  private setPhase(phase: Phase, reason: string | undefined, detail?: string): void {
    this.phase = phase;
    this.reason = reason;
    this.detail = detail;
    const next = statusOf({ phase, reason, detail, pid: this.run?.process?.pid, port: this.run?.port });
    if (sameStatus(this._status, next)) return;
    this._status = next;
    this._onDidChangeStatus.fire(next);
  }
}
