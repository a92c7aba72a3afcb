/** Why a start (or a rebind) failed, for the CLI's exit codes and the editor's messages. */
import type { ConfigProblem } from './spec';

export type StartFailure = 'config' | 'app' | 'port' | 'listen';

export class EngineStartError extends Error {
  constructor(
    message: string,
    readonly reason: StartFailure,
    readonly problems: readonly ConfigProblem[] = [],
  ) {
    super(message);
    this.name = 'EngineStartError';
  }
}
