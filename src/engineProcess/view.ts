/**
 * What the editor shows of one folder's engine: while a run serves, the engine's last snapshot as
 * it sent it (the mounts with their status, counters and URLs, the port, the problems); while none
 * does, mounts.json as the client read it. Nothing the engine computes is computed again here.
 */
import { configuredMounts, mountId, type ConfigProblem, type MountInfo, type MountSpec, type MountsConfig } from '../engine/index';
import type { EngineSnapshot } from './protocol';

export class EngineView {
  private snapshot: EngineSnapshot | undefined;
  private _problems: readonly ConfigProblem[] = [];
  private _appProblems: readonly ConfigProblem[] = [];
  private _config: MountsConfig | undefined;

  /**
   * @param serving whether a run serves now (its snapshot is what the engine shows)
   * @param restricted whether mounts that run code are refused, for mounts.json as read
   */
  constructor(
    private readonly serving: () => boolean,
    private readonly restricted: () => boolean,
  ) {}

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

  /** The engine stopped by itself (a reload whose rebind found no address): the run is over. */
  get engineStopped(): boolean {
    return this.snapshot?.state === 'stopped';
  }

  mounts(): MountInfo[] {
    const running = this.running();
    return running ? [...running.mounts] : configuredMounts(this._config, this.restricted());
  }

  /** Where a browser reaches the mount `spec` names, as the engine said; undefined when not served. */
  urlOf(spec: Pick<MountSpec, 'prefix' | 'host'>): string | undefined {
    const id = mountId(spec);
    return this.running()?.mounts.find((mount) => mount.id === id)?.url;
  }

  applySnapshot(next: EngineSnapshot): void {
    this.snapshot = next;
    this.setProblems(next.problems, next.appProblems);
    if (next.config) this._config = next.config;
  }

  /** mounts.json as the client read it itself; a broken file keeps the last good config. */
  applyRead(config: MountsConfig | undefined, problems: readonly ConfigProblem[]): void {
    this.setProblems(problems, config ? [] : this._appProblems);
    if (config) this._config = config;
  }

  private running(): EngineSnapshot | undefined {
    return this.serving() ? this.snapshot : undefined;
  }

  /** Keeps the same arrays while their content is the same: a consumer compares by identity. */
  private setProblems(problems: readonly ConfigProblem[], appProblems: readonly ConfigProblem[]): void {
    if (JSON.stringify(problems) !== JSON.stringify(this._problems)) this._problems = problems;
    if (JSON.stringify(appProblems) !== JSON.stringify(this._appProblems)) this._appProblems = appProblems;
  }
}
