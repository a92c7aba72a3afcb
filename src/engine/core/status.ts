/** What an engine knows of its mounts.json and of its last failure: the editor and the CLI show it. */
import { formatProblem, readConfig, type ConfigResult } from '../config';
import { EngineStartError } from '../errors';
import type { ConfigProblem, MountsConfig } from '../spec';

export class EngineStatus {
  /** What made the last start, reload or stop fail, in one line. */
  lastError: string | undefined;
  /** Problems of mounts.json as last read. */
  problems: readonly ConfigProblem[] = [];
  /** Mounts whose apps could not be created at the last start or reload, placed in the file. */
  appProblems: readonly ConfigProblem[] = [];
  /** The config as last read successfully. */
  config: MountsConfig | undefined;
  /** Which version of mounts.json the last read found; unset when none could be read. */
  configIdentity: string | undefined;

  /** `only`: serve only the mounts of these kinds. */
  constructor(
    readonly configFile: string,
    private readonly only: readonly string[] | undefined,
  ) {}

  /** mounts.json as read, less the mounts whose kinds `only` leaves out; `problems` takes its problems. */
  async read(): Promise<ConfigResult> {
    const result = await readConfig(this.configFile);
    this.configIdentity = result.identity;
    this.problems = result.problems;
    const only = this.only;
    if (!result.config || only === undefined) return result;
    return { ...result, config: { ...result.config, mounts: result.config.mounts.filter((mount) => only.includes(mount.kind)) } };
  }

  /** mounts.json for a start: a config with problems is an EngineStartError that lists them. */
  async readForStart(): Promise<MountsConfig> {
    const { config, problems } = await this.read();
    if (!config) {
      throw new EngineStartError(
        `${this.configFile} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map(formatProblem).join('\n')}`,
        'config',
        problems,
      );
    }
    this.config = config;
    return config;
  }
}
