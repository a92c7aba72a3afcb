/**
 * The restart policy of a command that exited after it was ready: whether to start it again, after
 * how long (exponential back-off with a cap), and when to give up (crash loop).
 */
import type { RestartPolicy } from '../../spec';
import type { ProcessExit } from './process';

export interface BackoffOptions {
  /** Delay before the first restart. */
  readonly initialMs: number;
  /** The delay doubles per failure up to this cap. */
  readonly maxMs: number;
  /** Exits in a row, each soon after its start, that make a crash loop. */
  readonly crashLoopAfter: number;
  /** A run that stayed up this long resets the count. */
  readonly stableMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 10_000, crashLoopAfter: 5, stableMs: 10_000 };

export function shouldRestart(policy: RestartPolicy, exit: ProcessExit): boolean {
  if (policy === 'always') return true;
  if (policy === 'never') return false;
  return exit.code !== 0;
}

export type RestartDecision = { readonly crashLoop: false; readonly delayMs: number; readonly attempt: number } | { readonly crashLoop: true; readonly exits: number };

/** Counts quick exits in a row and turns them into back-off delays. */
export class Backoff {
  private exits = 0;

  constructor(private readonly options: BackoffOptions = DEFAULT_BACKOFF) {}

  /** Records an exit of a run that had been up for `uptimeMs`. */
  next(uptimeMs: number): RestartDecision {
    if (uptimeMs >= this.options.stableMs) this.exits = 0;
    this.exits++;
    if (this.exits >= this.options.crashLoopAfter) return { crashLoop: true, exits: this.exits };
    const delayMs = Math.min(this.options.initialMs * 2 ** (this.exits - 1), this.options.maxMs);
    return { crashLoop: false, delayMs, attempt: this.exits };
  }

  reset(): void {
    this.exits = 0;
  }
}

/** `exit code 1`, `signal SIGSEGV`, or why it never started. */
export function describeExit(exit: ProcessExit): string {
  if (exit.error !== undefined) return exit.error;
  if (exit.code !== null) return `exit code ${exit.code}`;
  return exit.signal !== null ? `signal ${exit.signal}` : 'unknown exit';
}
