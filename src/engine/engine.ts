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
 * One private setter changes the state and fires `onDidChangeState`. `start()` and `stop()` return
 * the promise already in flight. The listener starts last and stops first; a failing part does not
 * stop the others from being closed, and every failure is reported. When `stop()` resolves, the
 * port is free and every app (and child process) is gone.
 */
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { App, AppStatus, ModuleTimeouts, PythonChoice } from './apps/app';
import { appFactories } from './apps/kinds';
import { kindOf } from './kinds/registry';
import { createRefusedApp, refusedStatus } from './apps/refused';
import { formatProblem, readConfig, type ConfigResult } from './config';
import { buildRoutingTable, Dispatcher, type MountEntry } from './dispatch';
import { EngineStartError } from './errors';
import { Emitter, type Disposable } from './events';
import { LiveLoop } from './live/liveLoop';
import { errorMessage, silentLogger, type Logger } from './logger';
import { closeServer, destroyUpgraded, isSecure, listen, setConnectionLimits, type MountsServer } from './listener';
import { isWildcardAddress, networkUrls } from './reachable';
import { mountId, type ConfigProblem, type MountSpec, type MountsConfig } from './spec';
import { LocalHttps } from './tls/localHttps';

export { EngineStartError, type StartFailure } from './errors';

export type EngineState = 'stopped' | 'starting' | 'started' | 'stopping';

export interface EngineOptions {
  /** Absolute path of mounts.json. */
  readonly configFile: string;
  readonly logger?: Logger;
  /** Milliseconds in-flight requests get to finish on stop or when their mount is removed. Default 3000. */
  readonly stopGracePeriod?: number;
  /** Restricted mode (untrusted workspace): module and command mounts are refused. */
  readonly restricted?: boolean;
  /** Overrides mounts.json for this run only (the CLI's --port/--host, the editor's "free port"). */
  readonly port?: number;
  readonly host?: string;
  /** One access-log line per request. Default true; `setAccessLog` changes it at run time. */
  readonly accessLog?: boolean;
  /**
   * The interpreter of wsgi and asgi mounts without their own `python` (the CLI's --python, the
   * editor's selected interpreter); `setPython` changes it at run time. Default: python3 on the PATH.
   */
  readonly python?: PythonChoice;
  /** Pages reload when what serves them changes. Default true; `setLiveReload` changes it at run time. */
  readonly liveReload?: boolean;
  /** Serve only the mounts of these kinds (`mounts serve --only`: the app server behind an exported front). */
  readonly only?: readonly string[];
  /** Take X-Forwarded-For, -Host and -Proto of loopback peers as the client's (a front on this machine). */
  readonly trustLoopbackFront?: boolean;
  /** Serve HTTPS whatever mounts.json's `https` says (the CLI's --https). */
  readonly https?: boolean;
  /** The user's data folder, where the local CA is kept. Default: `mountsDataDir()`. */
  readonly dataDir?: string;
  /** Milliseconds between checks of the HTTPS leaf's age while serving. Default 6 hours. */
  readonly certificateCheckInterval?: number;
  /** How long module apps wait for a load and for close(). Default: `MODULE_TIMEOUTS` (tests shorten them). */
  readonly moduleTimeouts?: Partial<ModuleTimeouts>;
}

/** A mount as the editor shows it. */
export interface MountInfo {
  /** Stable across reloads: host and prefix. */
  readonly id: string;
  readonly spec: MountSpec;
  readonly status: AppStatus;
  readonly requests: number;
  readonly lastError?: string;
  /** Where a browser reaches it, once the engine listens. */
  readonly url?: string;
}

export interface ReloadResult {
  readonly ok: boolean;
  /**
   * What the reload did: all of mounts.json applied; applied but for the mounts in `errors`; none of
   * it (invalid, or the new address could not be had; the previous mounts serve); or the engine
   * stopped (neither the new address nor the old one could be had).
   */
  readonly outcome: 'applied' | 'partly applied' | 'not applied' | 'stopped';
  readonly problems: readonly ConfigProblem[];
  /** App load failures of added or changed mounts (the old version keeps serving). */
  readonly errors: readonly string[];
}

const NOT_STARTED: AppStatus = { state: 'stopped' };
const STOP_DEADLINE_EXTRA = 10_000;
/** The leaf is renewed 30 days before its end: a check a few times a day cannot miss that. */
const CERTIFICATE_CHECK_MS = 6 * 60 * 60 * 1000;

export class Engine implements Disposable {
  private _state: EngineState = 'stopped';
  private readonly _onDidChangeState = new Emitter<EngineState>();
  /** Fires on every real state change. */
  readonly onDidChangeState = this._onDidChangeState.event;
  private readonly _onDidChangeMounts = new Emitter<void>();
  /** Fires when the mount list, an app's status, a counter or the config problems change. */
  readonly onDidChangeMounts = this._onDidChangeMounts.event;

  private _lastError: string | undefined;
  private _problems: readonly ConfigProblem[] = [];
  private _appProblems: readonly ConfigProblem[] = [];
  private _config: MountsConfig | undefined;
  private _configIdentity: string | undefined;
  private server: MountsServer | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private pendingTransition: { readonly kind: 'start' | 'stop'; readonly promise: Promise<void> } | undefined;
  /** The host and port as asked for (before resolution) of the current listener. */
  private listening: { readonly host: string; readonly port: number } | undefined;
  private restricted: boolean;
  private accessLog: boolean;
  private python: PythonChoice | undefined;
  private portOverride: number | undefined;
  private readonly hostOverride: string | undefined;
  private readonly logger: Logger;
  private readonly dispatcher: Dispatcher;
  private readonly live: LiveLoop;
  private readonly statusSubscriptions = new Map<MountEntry, Disposable>();
  private mountsChangedScheduled = false;
  private readonly gracePeriod: number;
  private readonly localHttps: LocalHttps;
  /** Whether the current config is served over HTTPS: its child processes are made to trust the CA. */
  private servingHttps = false;
  private certificateCheck: NodeJS.Timeout | undefined;

  constructor(private readonly options: EngineOptions) {
    this.logger = options.logger ?? silentLogger;
    this.gracePeriod = options.stopGracePeriod ?? 3000;
    this.restricted = options.restricted ?? false;
    this.accessLog = options.accessLog ?? true;
    this.python = options.python;
    this.portOverride = options.port;
    this.hostOverride = options.host;
    this.localHttps = new LocalHttps(this.logger, options.dataDir);
    this.live = new LiveLoop({
      logger: this.logger,
      enabled: options.liveReload ?? true,
      mounts: () => this.dispatcher.table?.entries ?? [],
    });
    this.dispatcher = new Dispatcher({
      logger: this.logger,
      accessLog: () => this.accessLog,
      onMountActivity: () => this.mountsChanged(),
      live: this.live,
      trustLoopbackFront: options.trustLoopbackFront,
    });
  }

  get state(): EngineState {
    return this._state;
  }

  /** What made the last start, reload or stop fail, in one line (`port 8080 is in use`). */
  get lastError(): string | undefined {
    return this._lastError;
  }

  /** Problems of mounts.json as last read. */
  get problems(): readonly ConfigProblem[] {
    return this._problems;
  }

  /**
   * Mounts of a valid mounts.json whose apps could not be created at the last start or reload (a
   * missing folder or module, a module that throws or exports the wrong thing), placed in the file.
   */
  get appProblems(): readonly ConfigProblem[] {
    return this._appProblems;
  }

  /** The config as last read successfully. */
  get config(): MountsConfig | undefined {
    return this._config;
  }

  get configFile(): string {
    return this.options.configFile;
  }

  /**
   * Which version of mounts.json the last read found (inode, size, mtime), unset when none could be
   * read: a watcher that starts after the read compares it with the file to catch a save in between.
   */
  get configIdentity(): string | undefined {
    return this._configIdentity;
  }

  /** The bound port while started. */
  get port(): number | undefined {
    const address = this.server?.address();
    return address && typeof address === 'object' ? address.port : undefined;
  }

  /** The server's root URL while started, e.g. `http://localhost:8080/` (`https://` when it serves TLS). */
  get url(): string | undefined {
    const port = this.port;
    return port === undefined ? undefined : `${this.scheme()}://${browserHost(this.boundHost())}:${port}/`;
  }

  /**
   * The listening server while started. A test seam (its address, Node's limits): the engine's
   * users go through `port`, `url` and the mounts, never through the server itself.
   */
  get httpServer(): MountsServer | undefined {
    return this.server;
  }

  /**
   * The app serving mount `id` (`MountInfo.id`) while started. A test seam for what only the app
   * knows (a command's supervisor pid); the engine's users see an app through `mounts()`.
   */
  appOf(id: string): App | undefined {
    return this.dispatcher.table?.entries.find((entry) => mountId(entry.spec) === id)?.app;
  }

  /** While listening on every interface (0.0.0.0, ::): the URLs other machines reach it at. Empty otherwise. */
  get networkUrls(): string[] {
    const port = this.port;
    if (port === undefined) return [];
    const urls = networkUrls(this.boundHost(), port);
    return this.scheme() === 'https' ? urls.map((url) => url.replace(/^http:/, 'https:')) : urls;
  }

  /** The mounts of the last good config, with their live status when started. */
  mounts(): MountInfo[] {
    const table = this.dispatcher.table;
    if (table && this._state !== 'stopped') {
      return table.entries.map((entry) => ({
        id: mountId(entry.spec),
        spec: entry.spec,
        status: entry.reloadError === undefined ? entry.app.status : staleStatus(entry.reloadError),
        requests: entry.requests,
        lastError: entry.reloadError ?? entry.lastError,
        url: this.urlOf(entry.spec),
      }));
    }
    return (this._config?.mounts ?? []).map((spec) => ({
      id: mountId(spec),
      spec,
      status: this.restricted && kindOf(spec).capabilities.runsCode ? refusedStatus(spec) : NOT_STARTED,
      requests: 0,
    }));
  }

  /** Where a browser reaches `spec` while started. */
  urlOf(spec: Pick<MountSpec, 'prefix' | 'host'>): string | undefined {
    const port = this.port;
    if (port === undefined) return undefined;
    const host = spec.host ?? browserHost(this.boundHost());
    return `${this.scheme()}://${host}:${port}${spec.prefix === '/' ? '/' : `${spec.prefix}/`}`;
  }

  /** mounts.json as read, less the mounts whose kinds `only` leaves out. */
  private async readServedConfig(): Promise<ConfigResult> {
    const result = await readConfig(this.options.configFile);
    this._configIdentity = result.identity;
    const only = this.options.only;
    if (!result.config || only === undefined) return result;
    return { ...result, config: { ...result.config, mounts: result.config.mounts.filter((mount) => only.includes(mount.kind)) } };
  }

  /** Reads and validates mounts.json without serving: the editor shows mounts and problems. */
  async readConfig(): Promise<readonly ConfigProblem[]> {
    const { config, problems } = await this.readServedConfig();
    this._problems = problems;
    if (config) this._config = config;
    this.mountsChanged();
    return problems;
  }

  /** Starts serving; while a start is queued or running, returns that same promise. */
  start(): Promise<void> {
    return this.transition('start', () => this.doStart());
  }

  /** Stops serving; resolves when the port is free and every app is closed. */
  stop(): Promise<void> {
    return this.transition('stop', () => this.doStop());
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /**
   * Re-reads mounts.json and swaps the routing table atomically while serving. Unchanged mounts
   * keep their apps, removed ones close after their in-flight requests, added ones start; a new
   * host or port rebinds. An invalid config leaves everything as it was and returns the problems.
   */
  reload(): Promise<ReloadResult> {
    return this.enqueue(() => this.doReload());
  }

  private async doReload(): Promise<ReloadResult> {
    const { config, problems } = await this.readServedConfig();
    this._problems = problems;
    if (!config) {
      this.mountsChanged();
      return { ok: false, outcome: 'not applied', problems, errors: [] };
    }
    const table = this.dispatcher.table;
    if (this._state !== 'started' || !table) {
      this._config = config;
      // Found at the last start in a file that has changed since: the next start finds them again.
      this._appProblems = [];
      this.mountsChanged();
      return { ok: true, outcome: 'applied', problems, errors: [] };
    }
    // The address first, while nothing has been created or stopped: a rebind that fails leaves the
    // mounts exactly as they were. The host is compared as configured, not as resolved ("localhost"
    // must not rebind on every reload); port 0 means any free port, which the current one is.
    const port = this.effectivePort(config);
    // http <-> https is a new listener as well; the children restart below to take the CA or drop it.
    const https = this.effectiveHttps(config);
    const schemeChanged = https !== this.servingHttps;
    if (this.effectiveHost(config) !== this.listening?.host || (port !== 0 && port !== this.port) || schemeChanged) {
      try {
        await this.rebind(config);
      } catch (error) {
        const message = error instanceof EngineStartError ? error.message : String(error);
        const stopped = !this.server?.listening;
        if (stopped) {
          // Neither the new address nor the old one could be had: stopped, never half-started.
          await this.doStop();
        }
        this._lastError = message;
        this.mountsChanged();
        return { ok: false, outcome: stopped ? 'stopped' : 'not applied', problems, errors: [message] };
      }
      // The old mounts answer on the new address until the new table is ready: allow its name.
      this.dispatcher.table = buildRoutingTable(table.config, table.entries, this.effectiveHost(config));
    } else if (https) {
      // A host added or gone, or the leaf near its end: connections from now on get the new leaf.
      try {
        await this.refreshCertificate(config);
      } catch (error) {
        this._lastError = errorMessage(error);
        this.mountsChanged();
        return { ok: false, outcome: 'not applied', problems, errors: [errorMessage(error)] };
      }
    }
    this.servingHttps = https;
    const previous = new Map(table.entries.map((entry) => [identity(entry.spec), entry]));
    // A command on a fixed port can't start while the version it replaces still holds that port:
    // those old versions stop first. (A command app's creation does not fail, so there is no
    // failed load for which the stopped version would have to be kept; its run reports errors.)
    const handedOver = commandsHoldingPortsOf(config, table.entries, previous);
    for (const entry of handedOver) this.logger.info(`stopping the previous version first: port ${kindOf(entry.spec).heldPort(entry.spec)} is needed again`, entry.spec.name);
    await Promise.allSettled(handedOver.map((entry) => this.closeEntry(entry, true)));
    const kept = new Map<MountEntry, MountSpec>();
    const { entries, errors } = await this.createEntries(config, (spec) => {
      const same = previous.get(identity(spec));
      if (same) kept.set(same, spec);
      return same;
    });
    // An added or changed mount that fails to load keeps the version it replaces, when there is one,
    // and says so: it serves, but not what mounts.json now asks for.
    this._appProblems = errors.map((error) => error.problem);
    const failures = new Map(errors.map((error) => [error.id, error.message]));
    const keptOld = table.entries.filter((entry) => !kept.has(entry) && !handedOver.includes(entry) && failures.has(mountId(entry.spec)));
    for (const entry of keptOld) entry.reloadError = failures.get(mountId(entry.spec));
    for (const entry of kept.keys()) entry.reloadError = undefined;
    const next = [...entries, ...keptOld];
    const removed = table.entries.filter((entry) => !kept.has(entry) && !keptOld.includes(entry) && !handedOver.includes(entry));

    // Only now, with nothing left to fail, do kept mounts take their new labels.
    for (const [entry, spec] of kept) entry.spec = spec;
    this._config = config;
    if (this.server) setConnectionLimits(this.server, config.connections);
    this.dispatcher.table = buildRoutingTable(config, next, this.effectiveHost(config));
    this.logger.info(`reloaded ${config.file}: ${next.length} mounts`);
    this.mountsChanged();
    // A mount that changed or went away: its open pages show what mounts.json now says.
    for (const entry of table.entries) {
      if (!kept.has(entry) && !keptOld.includes(entry)) this.live.reload(mountId(entry.spec));
    }
    this.live.mountsChanged();
    await Promise.allSettled(removed.map((entry) => this.closeEntry(entry, true)));
    if (schemeChanged) await this.restartChildren([...kept.keys()]);
    return { ok: errors.length === 0, outcome: errors.length === 0 ? 'applied' : 'partly applied', problems, errors: errors.map((error) => error.message) };
  }

  /** Hot-reloads one module app, or restarts one command app. `id` is `MountInfo.id`. */
  async reloadApp(id: string): Promise<void> {
    const entry = this.dispatcher.table?.entries.find((candidate) => mountId(candidate.spec) === id);
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
    const entries = this.dispatcher.table?.entries ?? [];
    const affected = entries.filter((entry) => entry.app.dependsOn?.(file));
    const results = await Promise.allSettled(affected.map((entry) => entry.app.reload?.()));
    // Pages reload once the new version has loaded, not onto a failed one.
    affected.forEach((entry, index) => {
      if (results[index].status === 'fulfilled') this.live.reload(mountId(entry.spec));
    });
    for (const entry of entries) {
      const folder = kindOf(entry.spec).liveFilesFolder(entry.spec);
      if (folder !== undefined && isInside(folder, file)) {
        this.live.fileChanged(mountId(entry.spec), `${entry.baseUrl}/${path.relative(folder, file).split(path.sep).map(encodeURIComponent).join('/')}`);
      }
    }
    if (affected.length) this.mountsChanged();
    return affected.map((entry) => mountId(entry.spec));
  }

  /** Restricted mode refuses module and command mounts; leaving it starts them without a restart. */
  setRestricted(restricted: boolean): Promise<void> {
    return this.enqueue(() => this.doSetRestricted(restricted));
  }

  private async doSetRestricted(restricted: boolean): Promise<void> {
    if (this.restricted === restricted) return;
    this.restricted = restricted;
    const table = this.dispatcher.table;
    if (this._state !== 'started' || !table) {
      this.mountsChanged();
      return;
    }
    const { entries, errors } = await this.createEntries(table.config, (spec) => {
      const entry = table.entries.find((candidate) => candidate.spec === spec);
      return entry && !kindOf(spec).capabilities.runsCode ? entry : undefined;
    });
    const replaced = table.entries.filter((entry) => !entries.includes(entry));
    this.dispatcher.table = buildRoutingTable(table.config, entries, this.effectiveHost(table.config));
    for (const error of errors) this.logger.error(error.message);
    this.mountsChanged();
    await Promise.allSettled(replaced.map((entry) => this.closeEntry(entry, true)));
  }

  /**
   * A new default interpreter for wsgi and asgi mounts: those without their own `python` restart on
   * it (the others keep running). Resolves when they are ready, or failed to get there.
   */
  async setPython(python: PythonChoice | undefined): Promise<void> {
    if (python?.command === this.python?.command && python?.source === this.python?.source) return;
    this.python = python;
    const entries = this.dispatcher.table?.entries ?? [];
    const affected = entries.filter((entry) => kindOf(entry.spec).usesDefaultInterpreter(entry.spec));
    await Promise.allSettled(affected.map((entry) => entry.app.reload?.()));
    if (affected.length) this.mountsChanged();
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
    this.portOverride = port;
  }

  dispose(): void {
    void this.stop();
    this._onDidChangeState.dispose();
    this._onDidChangeMounts.dispose();
  }

  /**
   * Lifecycle operations (start, stop, reload, setRestricted) run one at a time in call order, so
   * none of them sees another half done: a reload queued behind a stop finds the engine stopped.
   */
  private enqueue<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation, operation);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Queues a start or stop, unless the last one queued is the same kind and still pending. */
  private transition(kind: 'start' | 'stop', operation: () => Promise<void>): Promise<void> {
    if (this.pendingTransition?.kind === kind) return this.pendingTransition.promise;
    const promise = this.enqueue(operation);
    const pending = { kind, promise };
    this.pendingTransition = pending;
    const settle = () => {
      if (this.pendingTransition === pending) this.pendingTransition = undefined;
    };
    promise.then(settle, settle);
    return promise;
  }

  private setState(state: EngineState): void {
    if (this._state === state) return;
    this._state = state;
    this._onDidChangeState.fire(state);
  }

  private async doStart(): Promise<void> {
    if (this._state === 'started') return;
    this._lastError = undefined;
    this.setState('starting');
    let entries: MountEntry[] = [];
    try {
      const { config, problems } = await this.readServedConfig();
      this._problems = problems;
      if (!config) {
        throw new EngineStartError(
          `${this.options.configFile} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map(formatProblem).join('\n')}`,
          'config',
          problems,
        );
      }
      this._config = config;
      const host = this.effectiveHost(config);
      const port = this.effectivePort(config);
      // Before the apps: an eager command starts now, and its environment names the CA.
      this.servingHttps = this.effectiveHttps(config);
      const secure = this.servingHttps ? await this.localHttps.leafFor(config, host) : undefined;
      const created = await this.createEntries(config, () => undefined);
      entries = created.entries;
      this._appProblems = created.errors.map((error) => error.problem);
      if (created.errors.length) {
        throw new EngineStartError(created.errors.map((error) => error.message).join('\n'), 'app');
      }
      this.dispatcher.table = buildRoutingTable(config, entries, host);
      this.adopt(await listen(this.dispatcher, host, port, this.logger, config.connections, secure), host, port);
      this.setState('started');
      this.certificateCheck = setInterval(() => this.checkCertificateAge(), this.options.certificateCheckInterval ?? CERTIFICATE_CHECK_MS);
      this.certificateCheck.unref();
      this.logger.info(`serving ${entries.length} mount${entries.length === 1 ? '' : 's'} at ${this.url}`);
      this.warnIfOpenToNetwork();
      this.mountsChanged();
    } catch (error) {
      this._lastError = errorMessage(error);
      this.dispatcher.table = undefined;
      await Promise.allSettled(entries.map((entry) => this.closeEntry(entry)));
      this.setState('stopped');
      this.mountsChanged();
      throw error;
    }
  }

  private async doStop(): Promise<void> {
    if (this._state === 'stopped') return;
    this.setState('stopping');
    const grace = this.gracePeriod;
    const failures: unknown[] = [];
    let deadline: NodeJS.Timeout | undefined;
    const work = (async () => {
      const server = this.server;
      if (server) {
        // Upgraded connections (WebSockets) have no request to finish: they end at once on stop.
        destroyUpgraded(server);
        this.live.close();
        await closeServer(server, grace).catch((error) => failures.push(error));
      }
      const entries = this.dispatcher.table?.entries ?? [];
      const results = await Promise.allSettled(entries.map((entry) => this.closeEntry(entry)));
      for (const result of results) if (result.status === 'rejected') failures.push(result.reason);
    })();
    try {
      await Promise.race([
        work,
        new Promise<void>((resolve) => {
          deadline = setTimeout(() => {
            failures.push(new Error(`stopping took longer than ${(grace + STOP_DEADLINE_EXTRA) / 1000} s; gave up waiting`));
            resolve();
          }, grace + STOP_DEADLINE_EXTRA);
        }),
      ]);
    } finally {
      clearTimeout(deadline);
      clearInterval(this.certificateCheck);
      this.server = undefined;
      this.listening = undefined;
      this.dispatcher.table = undefined;
      if (failures.length) {
        const error = new AggregateError(failures, `${failures.length} part${failures.length === 1 ? '' : 's'} failed to stop`);
        this._lastError = failures.map((failure) => errorMessage(failure)).join('; ');
        this.logger.error(error.message, error);
      }
      this.setState('stopped');
      this.logger.info('stopped');
      this.mountsChanged();
    }
  }

  /**
   * Creates the app of every spec, all at once; `reuse` returns an existing entry to keep.
   * Failures are collected, not thrown, so every broken mount is reported together.
   */
  private async createEntries(
    config: MountsConfig,
    reuse: (spec: MountSpec) => MountEntry | undefined,
  ): Promise<{ entries: MountEntry[]; errors: LoadFailure[] }> {
    const specs = config.mounts;
    const settled = await Promise.allSettled(
      specs.map(async (spec): Promise<MountEntry> => {
        const existing = reuse(spec);
        if (existing) return existing;
        const app =
          this.restricted && kindOf(spec).capabilities.runsCode
            ? createRefusedApp(spec)
            : await (appFactories[spec.kind] as (s: MountSpec, c: unknown) => Promise<App>)(spec, {
                config,
                logger: this.logger,
                python: () => this.python,
                trust: () => (this.servingHttps ? this.localHttps.trust : undefined),
                localAuthority: () => this.localHttps.authorityCert(),
                moduleTimeouts: this.options.moduleTimeouts,
              });
        const entry: MountEntry = { spec, app, baseUrl: spec.prefix === '/' ? '' : spec.prefix, requests: 0, inflight: 0 };
        const subscription = app.onDidChangeStatus?.(this.statusListener(entry));
        if (subscription) this.statusSubscriptions.set(entry, subscription);
        return entry;
      }),
    );
    const entries: MountEntry[] = [];
    const errors: LoadFailure[] = [];
    settled.forEach((result, index) => {
      if (result.status === 'fulfilled') entries.push(result.value);
      else {
        const problem = loadProblem(config, specs[index], errorMessage(result.reason));
        errors.push({ id: mountId(specs[index]), problem, message: formatProblem(problem) });
      }
    });
    return { entries, errors };
  }

  /**
   * Redraws the editor on every status change, and reloads the mount's pages when its app is ready
   * again after having been ready (a command restarted or back from a crash; not the first start,
   * and not an on-request command woken from idle).
   */
  private statusListener(entry: MountEntry): (status: AppStatus) => void {
    let wasReady = entry.app.status.state === 'ready';
    let woken = false;
    let last = entry.app.status.state;
    return (status) => {
      if (status.state === 'idle') woken = true;
      if (status.state === 'ready' && last !== 'ready') {
        if (wasReady && !woken && !entry.app.reloadsOwnPages) this.live.reload(mountId(entry.spec));
        wasReady = true;
        woken = false;
      }
      last = status.state;
      this.mountsChanged();
    };
  }

  /** Closes an entry's app; with `drain`, first waits for its in-flight requests (up to the grace period). */
  private async closeEntry(entry: MountEntry, drain = false): Promise<void> {
    if (drain) {
      const until = Date.now() + this.gracePeriod;
      while (entry.inflight > 0 && Date.now() < until) await delay(25);
    }
    this.statusSubscriptions.get(entry)?.dispose();
    this.statusSubscriptions.delete(entry);
    await entry.app.close();
  }

  private async refreshCertificate(config: MountsConfig): Promise<boolean> {
    return this.server ? this.localHttps.refresh(this.server, config, this.effectiveHost(config)) : false;
  }

  /** While serving HTTPS, a server left running for months renews its leaf before it ends. */
  private checkCertificateAge(): void {
    void this.enqueue(async () => {
      if (this._state !== 'started' || !this.servingHttps || !this.dispatcher.table) return;
      if (await this.refreshCertificate(this.dispatcher.table.config)) this.logger.info('renewed the HTTPS certificate before its end');
    }).catch((error) => this.logger.error('renewing the HTTPS certificate failed', error));
  }

  /** Kept apps that run child processes restart, so that their environment trusts the CA (or no longer names it). */
  private async restartChildren(entries: readonly MountEntry[]): Promise<void> {
    await Promise.allSettled(entries.filter((entry) => kindOf(entry.spec).capabilities.runsProcess).map((entry) => entry.app.reload?.()));
  }

  /** A listener for `config` on `host:port`: with TLS and a current leaf when the config asks for HTTPS. */
  private async listen(host: string, port: number, config: MountsConfig): Promise<MountsServer> {
    const secure = this.effectiveHttps(config) ? await this.localHttps.leafFor(config, host) : undefined;
    return listen(this.dispatcher, host, port, this.logger, config.connections, secure);
  }

  private effectiveHttps(config: MountsConfig): boolean {
    return this.options.https ?? config.https;
  }

  private scheme(): 'http' | 'https' {
    return this.server && isSecure(this.server) ? 'https' : 'http';
  }

  private async rebind(config: MountsConfig): Promise<void> {
    const old = this.server;
    const previous = this.listening && { host: this.listening.host, port: this.port ?? this.listening.port };
    const host = this.effectiveHost(config);
    const port = this.effectivePort(config);
    try {
      this.adopt(await this.listen(host, port, config), host, port);
    } catch (error) {
      // The same port on another address may collide with our own socket: free it and try once more.
      if (!old || !previous || !(error instanceof EngineStartError) || error.reason !== 'port' || port !== previous.port) throw error;
      await closeServer(old, 0);
      try {
        this.adopt(await this.listen(host, port, config), host, port);
      } catch (retryError) {
        // Back to the old address; when even that fails, the caller stops the engine.
        this.adopt(await this.listen(previous.host, previous.port, config), previous.host, previous.port);
        throw retryError;
      }
      this.logger.info(`now listening at ${this.url}`);
      this.warnIfOpenToNetwork();
      return;
    }
    if (old) void closeServer(old, this.gracePeriod).catch((error) => this.logger.error('closing the old listener failed', error));
    this.logger.info(`now listening at ${this.url}`);
    this.warnIfOpenToNetwork();
  }

  /** A wildcard bind serves every app (and the code they run) to the network: say so, and where. */
  private warnIfOpenToNetwork(): void {
    const bound = this.boundHost();
    if (!isWildcardAddress(bound)) return;
    const urls = this.networkUrls;
    this.logger.warn(
      `listening on every network interface (${bound}): the apps are reachable from the network${urls.length ? ` at ${urls.join(', ')}` : ''}; ` +
        `bind 127.0.0.1 ("host" in mounts.json) to keep them on this machine. (A browser there is refused until the address is in "allowedHosts"; other clients set any Host they like.)`,
    );
  }

  private adopt(server: MountsServer, host: string, port: number): void {
    this.server = server;
    this.listening = { host, port };
  }

  private effectiveHost(config: MountsConfig): string {
    return this.hostOverride ?? config.host;
  }

  private effectivePort(config: MountsConfig): number {
    return this.portOverride ?? config.port;
  }

  private boundHost(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    return address?.address ?? this.hostOverride ?? this._config?.host ?? '127.0.0.1';
  }

  /** Coalesces bursts (a counter per request) into one event per tick. */
  private mountsChanged(): void {
    if (this.mountsChangedScheduled) return;
    this.mountsChangedScheduled = true;
    setImmediate(() => {
      this.mountsChangedScheduled = false;
      this._onDidChangeMounts.fire();
    });
  }
}

export { mountId } from './spec';

/** A mount whose app could not be created, as a problem of mounts.json and as one line. */
interface LoadFailure {
  readonly id: string;
  readonly problem: ConfigProblem;
  readonly message: string;
}

/**
 * A mount that cannot load, said the way config problems are: where it is in mounts.json and which
 * field, then why (`mounts.json:4:5: mounts[0].static "/s": folder … does not exist`).
 */
function loadProblem(config: MountsConfig, spec: MountSpec, reason: string): ConfigProblem {
  // Apps say only what is wrong; which mount, and where it is, is said here.
  const field = `mounts[${spec.index}].${spec.kind}`;
  return { file: config.file, ...spec.range, field, message: `${field} "${spec.name}": ${reason}` };
}

/** A mount whose new version failed to load: the tree shows the error, the old version serves. */
function staleStatus(reason: string): AppStatus {
  return { state: 'error', reason: `the edit did not load, so the previous version still serves: ${reason}` };
}

/** Previous entries that are going away while a new spec wants the fixed port their process holds. */
function commandsHoldingPortsOf(config: MountsConfig, entries: readonly MountEntry[], previous: ReadonlyMap<string, MountEntry>): MountEntry[] {
  const staying = new Set(config.mounts.map(identity));
  const heldPort = (spec: MountSpec) => kindOf(spec).heldPort(spec);
  const wanted = new Set(config.mounts.filter((spec) => !previous.has(identity(spec))).map(heldPort));
  wanted.delete(undefined);
  return entries.filter((entry) => wanted.has(heldPort(entry.spec)) && !staying.has(identity(entry.spec)));
}

/** Everything that, when changed, needs a new app instance. */
function identity(spec: MountSpec): string {
  // liveReload only decides what the engine adds to answers: switching it keeps the app running.
  const { index: _index, range: _range, name: _name, liveReload: _liveReload, ...rest } = spec;
  return JSON.stringify(rest);
}

function isInside(folder: string, file: string): boolean {
  const relative = path.relative(folder, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/**
 * The host name of the URLs Mounts prints and opens. Loopback is `localhost`: frameworks' dev-origin
 * checks accept it where they refuse 127.0.0.1 (Next.js's does), and a browser reaches the same
 * socket by it (it tries 127.0.0.1 when ::1 refuses).
 */
function browserHost(bound: string): string {
  if (bound === '0.0.0.0' || bound === '::' || bound === '127.0.0.1' || bound === '::1') return 'localhost';
  return bound.includes(':') ? `[${bound}]` : bound;
}

