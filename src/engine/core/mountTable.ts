/**
 * The mounts being served: each one's app, made by its kind, and the routing table the dispatcher
 * reads, swapped whole. Also what the editor sees of them (`MountInfo`).
 */
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { AppStatus, ModuleTimeouts, PythonChoice } from '../kinds/app';
import { createRefusedApp, refusedStatus } from '../kinds/refused';
import { formatProblem } from '../config';
import { buildRoutingTable, type Dispatcher, type MountEntry, type RoutingTable } from '../dispatch';
import type { Disposable } from '../events';
import { kindOf } from '../kinds/registry';
import type { LiveLoop } from '../live/liveLoop';
import { errorMessage, type Logger } from '../logger';
import { mountId, type ConfigProblem, type MountSpec, type MountsConfig } from '../spec';
import type { ChildTrust } from '../tls/childTrust';
import type { FileWatching } from '../watch/watching';

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

/** A mount whose app could not be created, as a problem of mounts.json and as one line. */
export interface LoadFailure {
  readonly id: string;
  readonly problem: ConfigProblem;
  readonly message: string;
}

export interface MountTableOptions {
  readonly logger: Logger;
  readonly dispatcher: Dispatcher;
  readonly live: LiveLoop;
  /** Milliseconds a removed mount's in-flight requests get to finish. */
  readonly gracePeriod: number;
  readonly restricted: boolean;
  readonly python?: PythonChoice;
  /** What child processes are told to trust (HTTPS served), read when one starts. */
  readonly trust: () => ChildTrust | undefined;
  readonly localAuthority: () => string | undefined;
  readonly moduleTimeouts?: Partial<ModuleTimeouts>;
  readonly watching: FileWatching;
  /** A mount's status, counters or the set of mounts changed. */
  readonly onChange: () => void;
}

const NOT_STARTED: AppStatus = { state: 'stopped' };

function refuses(spec: MountSpec, restricted: boolean): boolean {
  return restricted && kindOf(spec).capabilities.runsCode;
}

/**
 * The mounts of `config` as the editor shows them while nothing serves them: not started, or
 * refused in restricted mode. The engine and the editor's client (which has no engine while no
 * engine process runs) both show a stopped folder this way.
 */
export function configuredMounts(config: MountsConfig | undefined, restricted: boolean): MountInfo[] {
  return (config?.mounts ?? []).map((spec) => ({
    id: mountId(spec),
    spec,
    status: refuses(spec, restricted) ? refusedStatus(spec) : NOT_STARTED,
    requests: 0,
  }));
}

export class MountTable {
  /** Restricted mode (untrusted workspace): kinds that run code are refused. */
  restricted: boolean;
  /** The interpreter of Python mounts without their own. */
  python: PythonChoice | undefined;
  private readonly statusSubscriptions = new Map<MountEntry, Disposable>();
  private readonly liveFilesFolders = new WeakMap<MountsConfig, readonly string[]>();

  constructor(private readonly options: MountTableOptions) {
    this.restricted = options.restricted;
    this.python = options.python;
  }

  /** The routing table requests see now; none while stopped. */
  get routing(): RoutingTable | undefined {
    return this.options.dispatcher.table;
  }

  /** The mounts served now; none while stopped. */
  get entries(): readonly MountEntry[] {
    return this.options.dispatcher.table?.entries ?? [];
  }

  /** Routes requests to `entries` from now on; `bindHost` is the address bound. */
  route(config: MountsConfig, entries: readonly MountEntry[], bindHost: string): void {
    const table = buildRoutingTable(config, entries, bindHost);
    for (const warning of table.warnings) this.options.logger.warn(warning);
    this.options.dispatcher.swap(table);
  }

  /** Routes nothing (stopped). */
  clear(): void {
    this.options.dispatcher.swap(undefined);
  }

  find(id: string): MountEntry | undefined {
    return this.entries.find((candidate) => mountId(candidate.spec) === id);
  }

  /** The mounts of `config` as the editor shows them: live while served, else as read. */
  infos(config: MountsConfig | undefined, serving: boolean, urlOf: (spec: MountSpec) => string | undefined): MountInfo[] {
    const table = this.routing;
    if (table && serving) {
      return table.entries.map((entry) => ({
        id: mountId(entry.spec),
        spec: entry.spec,
        status: entry.reloadError === undefined ? entry.app.status : staleStatus(entry.reloadError),
        requests: entry.requests,
        lastError: entry.reloadError ?? entry.lastError,
        url: urlOf(entry.spec),
      }));
    }
    return configuredMounts(config, this.restricted);
  }

  /** Whether `spec`'s app is refused (restricted mode, a kind that runs code). */
  refuses(spec: MountSpec): boolean {
    return refuses(spec, this.restricted);
  }

  /**
   * Creates the app of every spec, all at once; `reuse` returns an existing entry to keep.
   * Failures are collected, not thrown, so every broken mount is reported together.
   */
  async create(config: MountsConfig, reuse: (spec: MountSpec) => MountEntry | undefined): Promise<{ entries: MountEntry[]; errors: LoadFailure[] }> {
    const specs = config.mounts;
    const settled = await Promise.allSettled(specs.map(async (spec) => reuse(spec) ?? this.createEntry(config, spec)));
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

  /** Closes an entry's app; with `drain`, first waits for its in-flight requests (up to the grace period). */
  async close(entry: MountEntry, drain = false): Promise<void> {
    if (drain) {
      const until = Date.now() + this.options.gracePeriod;
      while (entry.inflight > 0 && Date.now() < until) await delay(25);
    }
    this.statusSubscriptions.get(entry)?.dispose();
    this.statusSubscriptions.delete(entry);
    await entry.app.close();
  }

  /** Restarts the apps of `entries` that run a process, so that their environment trusts the CA (or no longer names it). */
  async restartProcesses(entries: readonly MountEntry[]): Promise<void> {
    await Promise.allSettled(entries.filter((entry) => kindOf(entry.spec).capabilities.runsProcess).map((entry) => entry.app.reload?.()));
  }

  /**
   * A file of the workspace changed: apps that loaded it reload, and pages that show it from a
   * served folder hear of it. Returns the ids of the apps reloaded.
   */
  async fileChanged(file: string): Promise<string[]> {
    const entries = this.entries;
    const live = this.options.live;
    const affected = entries.filter((entry) => entry.app.dependsOn?.(file));
    const results = await Promise.allSettled(affected.map((entry) => entry.app.reload?.()));
    // Pages reload once the new version has loaded, not onto a failed one.
    affected.forEach((entry, index) => {
      if (results[index].status === 'fulfilled') live.reload(mountId(entry.spec));
    });
    for (const entry of entries) {
      const folder = kindOf(entry.spec).liveFilesFolder(entry.spec);
      if (folder !== undefined && isInside(folder, file)) {
        live.fileChanged(mountId(entry.spec), `${entry.baseUrl}/${path.relative(folder, file).split(path.sep).map(encodeURIComponent).join('/')}`);
      }
    }
    return affected.map((entry) => mountId(entry.spec));
  }

  /** A new default interpreter: the apps that use it restart on it. Returns whether there were any. */
  async setPython(python: PythonChoice | undefined): Promise<boolean> {
    if (python?.command === this.python?.command && python?.source === this.python?.source) return false;
    this.python = python;
    const affected = this.entries.filter((entry) => kindOf(entry.spec).usesDefaultInterpreter(entry.spec));
    await Promise.allSettled(affected.map((entry) => entry.app.reload?.()));
    return affected.length > 0;
  }

  /** The folders the mounts of `config` serve as files, each ending in a separator; once per config, not once per mount. */
  private liveFilesFoldersOf(config: MountsConfig): readonly string[] {
    let folders = this.liveFilesFolders.get(config);
    if (!folders) {
      folders = config.mounts.flatMap((mount) => kindOf(mount).liveFilesFolder(mount) ?? []).map((root) => root + path.sep);
      this.liveFilesFolders.set(config, folders);
    }
    return folders;
  }

  private async createEntry(config: MountsConfig, spec: MountSpec): Promise<MountEntry> {
    const app = this.refuses(spec)
      ? createRefusedApp(spec)
      : await kindOf(spec).createApp(spec, {
          config,
          liveFilesFolders: this.liveFilesFoldersOf(config),
          logger: this.options.logger,
          watching: this.options.watching,
          python: () => this.python,
          trust: this.options.trust,
          localAuthority: this.options.localAuthority,
          moduleTimeouts: this.options.moduleTimeouts,
        });
    const entry: MountEntry = { spec, app, baseUrl: spec.prefix === '/' ? '' : spec.prefix, requests: 0, inflight: 0 };
    const subscription = app.onDidChangeStatus?.(this.statusListener(entry));
    if (subscription) this.statusSubscriptions.set(entry, subscription);
    return entry;
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
        if (wasReady && !woken && !entry.app.reloadsOwnPages) this.options.live.reload(mountId(entry.spec));
        wasReady = true;
        woken = false;
      }
      last = status.state;
      this.options.onChange();
    };
  }
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

function isInside(folder: string, file: string): boolean {
  const relative = path.relative(folder, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** A mount whose new version failed to load: the tree shows the error, the old version serves. */
function staleStatus(reason: string): AppStatus {
  return { state: 'error', reason: `the edit did not load, so the previous version still serves: ${reason}` };
}
