/**
 * The engine: one node:http server serving every mount of one mounts.json.
 *
 *                start()                  listening
 *   stopped ─────────────▶ starting ─────────────────▶ started
 *      ▲                      │ bad config, app load        │ stop()
 *      │                      │ error, port in use          ▼
 *      │◀─────────────────────┘ (lastError set)         stopping
 *      │                                                    │ port free, apps closed
 *      └────────────────────────────────────────────────────┘
 *
 * This file is the lifecycle: the state and the memoized start and stop (`lifecycle.ts`), what
 * start, stop and reload do, and in which order. Where it listens is `binding.ts`; the mounts
 * served and their apps are `mountTable.ts`; how a new config replaces the running mounts is
 * `reconcile.ts`; the HTTPS leaf's renewal while serving is `renewal.ts`. The listener starts last
 * and stops first; a failing part does not stop the others from being closed, and every failure is
 * reported. When `stop()` resolves, the port is free and every app (and child process) is gone.
 */
import type { App, PythonChoice } from '../kinds/app';
import { Dispatcher, type MountEntry, type RoutingTable } from '../dispatch';
import { EngineStartError } from '../errors';
import { Emitter } from '../events';
import { LiveLoop } from '../live/liveLoop';
import { errorMessage, silentLogger, type Logger } from '../logger';
import type { MountsServer } from '../listener';
import type { ConfigProblem, MountSpec, MountsConfig } from '../spec';
import { WatchService, type FileWatching } from '../watch/watching';
import { Binding } from './binding';
import { LifecycleOwner, oncePerTick, withinDeadline, type LifecycleState } from './lifecycle';
import { MountTable, type MountInfo } from './mountTable';
import type { EngineOptions, ReloadResult } from './options';
import { Reconciler } from './reconcile';
import { CERTIFICATE_CHECK_MS, CertificateRenewal } from './renewal';
import { EngineStatus } from './status';

export type EngineState = LifecycleState;
export type { MountInfo } from './mountTable';
export type { EngineOptions, ReloadResult } from './options';

const STOP_DEADLINE_EXTRA = 10_000;

export class Engine extends LifecycleOwner {
  private readonly _onDidChangeMounts = new Emitter<void>();
  /** Fires when the mount list, an app's status, a counter or the config problems change. */
  readonly onDidChangeMounts = this._onDidChangeMounts.event;

  private readonly status: EngineStatus;
  private accessLog: boolean;
  private readonly logger: Logger;
  private readonly dispatcher: Dispatcher;
  private readonly live: LiveLoop;
  /** The engine's file watching: its apps and live loop use it, and so may a front end (the CLI's --watch). Closed on stop. */
  readonly watching: FileWatching;
  private readonly binding: Binding;
  private readonly mountTable: MountTable;
  private readonly reconciler: Reconciler;
  private readonly gracePeriod: number;
  private readonly renewal: CertificateRenewal;

  constructor(options: EngineOptions) {
    super();
    this.status = new EngineStatus(options.configFile, options.only);
    this.logger = options.logger ?? silentLogger;
    this.gracePeriod = options.stopGracePeriod ?? 3000;
    this.accessLog = options.accessLog ?? true;
    this.watching = options.watching ?? new WatchService();
    this.live = new LiveLoop({ logger: this.logger, watching: this.watching, enabled: options.liveReload ?? true, mounts: () => this.mountTable.entries });
    const changed = () => this.mountsChanged();
    this.dispatcher = new Dispatcher({ logger: this.logger, accessLog: () => this.accessLog, onMountActivity: changed, live: this.live, trustLoopbackFront: options.trustLoopbackFront });
    const shared = { logger: this.logger, dispatcher: this.dispatcher, gracePeriod: this.gracePeriod };
    const { host, port, https, dataDir, python, moduleTimeouts, restricted = false } = options;
    this.binding = new Binding({ ...shared, host, port, https, dataDir, configHost: () => this.status.config?.host });
    const trust = () => this.binding.trust;
    const localAuthority = () => this.binding.authorityCert();
    this.mountTable = new MountTable({ ...shared, live: this.live, watching: this.watching, restricted, python, trust, localAuthority, moduleTimeouts, onChange: changed });
    const parts = { binding: this.binding, mounts: this.mountTable, live: this.live, logger: this.logger, status: this.status, changed };
    // Inside a queued reload: stopping must not queue behind it.
    this.reconciler = new Reconciler({ ...parts, stop: () => this.doStop(), serving: () => this.serving() });
    const renewing = { binding: this.binding, logger: this.logger, enqueue: this.lifecycle.enqueue.bind(this.lifecycle), serving: () => this.serving() };
    this.renewal = new CertificateRenewal(renewing, options.certificateCheckInterval ?? CERTIFICATE_CHECK_MS);
  }

  /** What made the last start, reload or stop fail, in one line (`port 8080 is in use`). */
  get lastError(): string | undefined {
    return this.status.lastError;
  }

  /** Problems of mounts.json as last read. */
  get problems(): readonly ConfigProblem[] {
    return this.status.problems;
  }

  /**
   * Mounts of a valid mounts.json whose apps could not be created at the last start or reload (a
   * missing folder or module, a module that throws or exports the wrong thing), placed in the file.
   */
  get appProblems(): readonly ConfigProblem[] {
    return this.status.appProblems;
  }

  /** The config as last read successfully. */
  get config(): MountsConfig | undefined {
    return this.status.config;
  }

  get configFile(): string {
    return this.status.configFile;
  }

  /**
   * Which version of mounts.json the last read found (inode, size, mtime), unset when none could be
   * read: a watcher that starts after the read compares it with the file to catch a save in between.
   */
  get configIdentity(): string | undefined {
    return this.status.configIdentity;
  }

  /** The bound port while started. */
  get port(): number | undefined {
    return this.binding.port;
  }

  /** The server's root URL while started, e.g. `http://localhost:8080/` (`https://` when it serves TLS). */
  get url(): string | undefined {
    return this.binding.url;
  }

  /** While listening on every interface (0.0.0.0, ::): the URLs other machines reach it at. Empty otherwise. */
  get networkUrls(): string[] {
    return this.binding.networkUrls;
  }

  /**
   * The listening server while started. A test seam (its address, Node's limits): the engine's
   * users go through `port`, `url` and the mounts, never through the server itself.
   */
  get httpServer(): MountsServer | undefined {
    return this.binding.server;
  }

  /**
   * The app serving mount `id` (`MountInfo.id`) while started. A test seam for what only the app
   * knows (a command's supervisor pid); the engine's users see an app through `mounts()`.
   */
  appOf(id: string): App | undefined {
    return this.mountTable.find(id)?.app;
  }

  /** The mounts of the last good config, with their live status when started. */
  mounts(): MountInfo[] {
    return this.mountTable.infos(this.status.config, this.state !== 'stopped', (spec) => this.urlOf(spec));
  }

  /** Where a browser reaches `spec` while started. */
  urlOf(spec: Pick<MountSpec, 'prefix' | 'host'>): string | undefined {
    return this.binding.urlOf(spec);
  }

  /** Reads and validates mounts.json without serving: the editor shows mounts and problems. */
  async readConfig(): Promise<readonly ConfigProblem[]> {
    const { config, problems } = await this.status.read();
    if (config) this.status.config = config;
    this.mountsChanged();
    return problems;
  }

  /**
   * Re-reads mounts.json and swaps the routing table atomically while serving. Unchanged mounts
   * keep their apps, removed ones close after their in-flight requests, added ones start; a new
   * host or port rebinds. An invalid config leaves everything as it was and returns the problems.
   */
  reload(): Promise<ReloadResult> {
    return this.lifecycle.enqueue(() => this.reconciler.reloadFile());
  }

  /** Hot-reloads one module app, or restarts one command app. `id` is `MountInfo.id`. */
  async reloadApp(id: string): Promise<void> {
    const entry = this.mountTable.find(id);
    if (!entry) throw new Error(`No mount "${id}" is being served.`);
    if (!entry.app.reload) throw new Error(`Mount "${entry.spec.name}" (${entry.spec.kind}) has nothing to reload.`);
    await entry.app.reload();
    this.live.reload(id);
    this.mountsChanged();
  }

  /**
   * A file of the workspace changed: module apps that loaded it reload. Returns the ids reloaded.
   * The CLI's --watch and the editor's file watcher call this.
   */
  async fileChanged(file: string): Promise<string[]> {
    const reloaded = await this.mountTable.fileChanged(file);
    if (reloaded.length) this.mountsChanged();
    return reloaded;
  }

  /** Restricted mode refuses module and command mounts; leaving it starts them without a restart. */
  setRestricted(restricted: boolean): Promise<void> {
    return this.lifecycle.enqueue(() => this.reconciler.setRestricted(restricted));
  }

  /**
   * A new default interpreter for wsgi and asgi mounts: those without their own `python` restart on
   * it (the others keep running). Resolves when they are ready, or failed to get there.
   */
  async setPython(python: PythonChoice | undefined): Promise<void> {
    if (await this.mountTable.setPython(python)) this.mountsChanged();
  }

  setAccessLog(enabled: boolean): void {
    this.accessLog = enabled;
  }

  /** Live reload for every mount (each mount's `liveReload` still applies); pages open stay connected. */
  setLiveReload(enabled: boolean): void {
    this.live.enabled = enabled;
  }

  get liveReload(): boolean {
    return this.live.enabled;
  }

  /** How many browser pages are connected for live reload (to one mount by id, or in all). */
  livePages(id?: string): number {
    return this.live.pageCount(id);
  }

  /** Uses `port` instead of mounts.json's from the next start (0: a free port). */
  setPortOverride(port: number | undefined): void {
    this.binding.setPortOverride(port);
  }

  override dispose(): void {
    super.dispose();
    this._onDidChangeMounts.dispose();
  }

  /** Serves: reads the config, creates the apps, listens last; a failed start closes what it made. */
  protected async doStart(): Promise<void> {
    if (this.state === 'started') return;
    this.status.lastError = undefined;
    this.lifecycle.set('starting');
    let entries: MountEntry[] = [];
    try {
      const config = await this.status.readForStart();
      const secure = await this.binding.prepare(config);
      const created = await this.mountTable.create(config, () => undefined);
      entries = created.entries;
      this.status.appProblems = created.errors.map((error) => error.problem);
      if (created.errors.length) {
        throw new EngineStartError(created.errors.map((error) => error.message).join('\n'), 'app');
      }
      this.mountTable.route(config, entries, this.binding.host(config));
      await this.binding.open(config, secure);
      this.lifecycle.set('started');
      this.renewal.start();
      this.logger.info(`serving ${entries.length} mount${entries.length === 1 ? '' : 's'} at ${this.url}`);
      this.binding.warnIfOpenToNetwork();
      this.mountsChanged();
    } catch (error) {
      this.status.lastError = errorMessage(error);
      this.mountTable.clear();
      await Promise.allSettled(entries.map((entry) => this.mountTable.close(entry)));
      this.lifecycle.set('stopped');
      this.mountsChanged();
      throw error;
    }
  }

  /** Stopped when it resolves: the listener closed first, then the apps, the port free. */
  protected async doStop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.lifecycle.set('stopping');
    const grace = this.gracePeriod;
    const failures: unknown[] = [];
    try {
      await withinDeadline(grace + STOP_DEADLINE_EXTRA, failures, async () => {
        if (this.binding.server) {
          // Upgraded connections (WebSockets) have no request to finish: they end at once on stop.
          this.binding.endUpgraded();
          this.live.close();
          await this.binding.close(grace).catch((error) => failures.push(error));
        }
        const results = await Promise.allSettled(this.mountTable.entries.map((entry) => this.mountTable.close(entry)));
        for (const result of results) if (result.status === 'rejected') failures.push(result.reason);
        // After the apps: what they did not dispose, and what the front ends watched, ends here.
        await this.watching.close().catch((error) => failures.push(error));
      });
    } finally {
      this.stopped(failures);
    }
  }

  /** Lands in 'stopped' whatever stopping managed, reporting what failed. */
  private stopped(failures: readonly unknown[]): void {
    this.renewal.stop();
    this.binding.forget();
    this.mountTable.clear();
    if (failures.length) {
      const error = new AggregateError(failures, `${failures.length} part${failures.length === 1 ? '' : 's'} failed to stop`);
      this.status.lastError = failures.map((failure) => errorMessage(failure)).join('; ');
      this.logger.error(error.message, error);
    }
    this.lifecycle.set('stopped');
    this.logger.info('stopped');
    this.mountsChanged();
  }

  /** The routing table while started: what a reload or a renewal applies to. */
  private serving(): RoutingTable | undefined {
    return this.state === 'started' ? this.mountTable.routing : undefined;
  }

  /** Coalesces bursts (a counter per request) into one event per tick. */
  private readonly mountsChanged = oncePerTick(() => this._onDidChangeMounts.fire());
}

export { mountId } from '../spec';
export { EngineStartError, type StartFailure } from '../errors';
