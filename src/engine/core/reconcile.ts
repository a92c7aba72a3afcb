/**
 * A new config against the running mounts: which apps stay, which are replaced, which go, and in
 * what order, so that a reload never drops a mount that still works and never leaves two versions
 * on one port.
 */
import type { MountEntry, RoutingTable } from '../dispatch';
import { EngineStartError } from '../errors';
import { kindOf } from '../kinds/registry';
import type { LiveLoop } from '../live/liveLoop';
import type { Logger } from '../logger';
import { mountId, type ConfigProblem, type MountSpec, type MountsConfig } from '../spec';
import type { Binding } from './binding';
import type { LoadFailure, MountTable } from './mountTable';
import type { ReloadResult } from './options';
import type { EngineStatus } from './status';

export interface ReconcilerParts {
  readonly binding: Binding;
  readonly mounts: MountTable;
  readonly live: LiveLoop;
  readonly logger: Logger;
  readonly status: EngineStatus;
  /** Stops the engine (the reload lost every address). */
  readonly stop: () => Promise<void>;
  /** The routing table while the engine is started; undefined otherwise. */
  readonly serving: () => RoutingTable | undefined;
  /** The mounts or the status changed. */
  readonly changed: () => void;
}

/** Applies a new config, or a new restriction, to a running engine. */
export class Reconciler {
  constructor(private readonly parts: ReconcilerParts) {}

  /** Reads mounts.json again and serves it while started; stopped, it is only what the next start reads. */
  async reloadFile(): Promise<ReloadResult> {
    const { status, changed } = this.parts;
    const { config, problems } = await status.read();
    if (!config) {
      changed();
      return { ok: false, outcome: 'not applied', problems, errors: [] };
    }
    const table = this.parts.serving();
    if (table) return this.reload(table, config, problems);
    status.config = config;
    // Found at the last start in a file that has changed since: the next start finds them again.
    status.appProblems = [];
    changed();
    return { ok: true, outcome: 'applied', problems, errors: [] };
  }

  /** Restricted mode refuses the mounts that run code; leaving it starts them, while started. */
  async setRestricted(restricted: boolean): Promise<void> {
    const { mounts } = this.parts;
    if (mounts.restricted === restricted) return;
    mounts.restricted = restricted;
    const table = this.parts.serving();
    if (table) await this.restrict(table);
    else this.parts.changed();
  }

  /**
   * Serves `config` instead of the running mounts. The address first, while nothing has been
   * created or stopped: a change that fails leaves the mounts exactly as they were.
   */
  async reload(table: RoutingTable, config: MountsConfig, problems: readonly ConfigProblem[]): Promise<ReloadResult> {
    const { binding, mounts, status } = this.parts;
    let applied: { rebound: boolean; schemeChanged: boolean };
    try {
      applied = await binding.apply(config);
    } catch (error) {
      return this.addressFailed(error, problems);
    }
    const host = binding.host(config);
    // The old mounts answer on the new address until the new table is ready: allow its name.
    if (applied.rebound) mounts.route(table.config, table.entries, host);
    const commit = (errors: readonly LoadFailure[]) => {
      // An added or changed mount that failed keeps its old version serving; the file says why.
      status.appProblems = errors.map((error) => error.problem);
      status.config = config;
      binding.setConnectionLimits(config);
    };
    const { errors, kept, removed } = await reconcile(table, config, { ...this.parts, host, commit });
    this.parts.changed();
    await Promise.allSettled(removed.map((entry) => mounts.close(entry, true)));
    // Children take the CA, or drop it.
    if (applied.schemeChanged) await mounts.restartProcesses(kept);
    return { ok: errors.length === 0, outcome: errors.length === 0 ? 'applied' : 'partly applied', problems, errors: errors.map((error) => error.message) };
  }

  /** Refuses (restricted) or starts (trusted) the running apps that run code; the others stay. */
  async restrict(table: RoutingTable): Promise<void> {
    const { binding, mounts, logger } = this.parts;
    const { errors, replaced } = await reapplyRestriction(mounts, table, binding.host(table.config));
    for (const error of errors) logger.error(error.message);
    this.parts.changed();
    await Promise.allSettled(replaced.map((entry) => mounts.close(entry, true)));
  }

  /** A reload's new address, scheme or leaf could not be had: the old listener serves on, or none does. */
  private async addressFailed(error: unknown, problems: readonly ConfigProblem[]): Promise<ReloadResult> {
    const message = error instanceof EngineStartError ? error.message : String(error);
    const stopped = !this.parts.binding.listening;
    if (stopped) {
      // Neither the new address nor the old one could be had: stopped, never half-started.
      await this.parts.stop();
    }
    this.parts.status.lastError = message;
    this.parts.changed();
    return { ok: false, outcome: stopped ? 'stopped' : 'not applied', problems, errors: [message] };
  }
}

interface Reconciled {
  readonly errors: readonly LoadFailure[];
  /** Entries that serve on under the new config. */
  readonly kept: readonly MountEntry[];
  /** Entries no longer served, to close once their in-flight requests end. */
  readonly removed: readonly MountEntry[];
}

interface ReconcileContext {
  readonly mounts: MountTable;
  readonly live: LiveLoop;
  readonly logger: Logger;
  /** The address bound, for the routing table's Host checks. */
  readonly host: string;
  /** Called with the load failures once nothing is left to fail, just before the new table serves. */
  readonly commit: (errors: readonly LoadFailure[]) => void;
}

/**
 * Serves `config` instead of `table`'s mounts: unchanged mounts keep their apps, removed ones close
 * after their in-flight requests, added ones start. An added or changed mount that fails to load
 * keeps the version it replaces, when there is one, and says so.
 */
async function reconcile(table: RoutingTable, config: MountsConfig, context: ReconcileContext): Promise<Reconciled> {
  const { mounts, live, logger } = context;
  const previous = new Map(table.entries.map((entry) => [identity(entry.spec), entry]));
  // A process on a fixed port can't start while the version it replaces still holds that port:
  // those old versions stop first. (Such an app's creation does not fail, so there is no failed
  // load for which the stopped version would have to be kept; its run reports errors.)
  const handedOver = holdersOfWantedPorts(config, table.entries, previous);
  for (const entry of handedOver) logger.info(`stopping the previous version first: port ${kindOf(entry.spec).heldPort(entry.spec)} is needed again`, entry.spec.name);
  await Promise.allSettled(handedOver.map((entry) => mounts.close(entry, true)));
  const kept = new Map<MountEntry, MountSpec>();
  const { entries, errors } = await mounts.create(config, (spec) => {
    const same = previous.get(identity(spec));
    if (same) kept.set(same, spec);
    return same;
  });
  const failures = new Map(errors.map((error) => [error.id, error.message]));
  const keptOld = table.entries.filter((entry) => !kept.has(entry) && !handedOver.includes(entry) && failures.has(mountId(entry.spec)));
  for (const entry of keptOld) entry.reloadError = failures.get(mountId(entry.spec));
  for (const entry of kept.keys()) entry.reloadError = undefined;
  const next = [...entries, ...keptOld];
  const removed = table.entries.filter((entry) => !kept.has(entry) && !keptOld.includes(entry) && !handedOver.includes(entry));

  // Only now, with nothing left to fail, do kept mounts take their new labels.
  for (const [entry, spec] of kept) entry.spec = spec;
  context.commit(errors);
  mounts.route(config, next, context.host);
  logger.info(`reloaded ${config.file}: ${next.length} mounts`);
  // A mount that changed or went away: its open pages show what mounts.json now says.
  for (const entry of table.entries) {
    if (!kept.has(entry) && !keptOld.includes(entry)) live.reload(mountId(entry.spec));
  }
  live.mountsChanged();
  return { errors, kept: [...kept.keys()], removed };
}

/**
 * The same config with the apps that run code refused (restricted) or started (trusted): the other
 * apps stay; the replaced ones are returned, to close after their in-flight requests.
 */
async function reapplyRestriction(mounts: MountTable, table: RoutingTable, host: string): Promise<{ errors: readonly LoadFailure[]; replaced: readonly MountEntry[] }> {
  const { entries, errors } = await mounts.create(table.config, (spec) => {
    const entry = table.entries.find((candidate) => candidate.spec === spec);
    return entry && !kindOf(spec).capabilities.runsCode ? entry : undefined;
  });
  const replaced = table.entries.filter((entry) => !entries.includes(entry));
  mounts.route(table.config, entries, host);
  return { errors, replaced };
}

/** Previous entries that are going away while a new spec wants the fixed port their process holds. */
function holdersOfWantedPorts(config: MountsConfig, entries: readonly MountEntry[], previous: ReadonlyMap<string, MountEntry>): MountEntry[] {
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
