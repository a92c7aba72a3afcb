/**
 * The restart policy of a command that exited after it was ready, or that was restarted and exited
 * again before it got there: whether to start it again, after how long (exponential back-off with a
 * cap), and when to give up (crash loop).
 */
import type { RestartPolicy } from '../../spec';
import type { ProcessExit } from './process';

export interface BackoffOptions {
  /** Delay before the first restart. */
  readonly initialMs: number;
  /** The delay doubles per failure up to this cap. */
  readonly maxMs: number;
  /** This many failures within `crashLoopWindowMs` make a crash loop. */
  readonly crashLoopAfter: number;
  readonly crashLoopWindowMs: number;
  /** A run that stayed up this long resets the delay. */
  readonly stableMs: number;
}

/**
 * A crash loop is counted within a window, not as failures in a row: with 5 in a row the delays
 * would be 0.25, 0.5, 1 and 2 s before giving up, and the 10 s cap could never be reached. Five
 * failures within 10 s (systemd's default start limit) still catch a tight loop (an app that dies at
 * once fails 5 times in under 4 s), while one that fails more slowly, say after waiting a few seconds
 * for its database, is retried for as long as that takes, at most 10 s apart.
 */
export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 10_000, crashLoopAfter: 5, crashLoopWindowMs: 10_000, stableMs: 10_000 };

export function shouldRestart(policy: RestartPolicy, exit: ProcessExit): boolean {
  if (policy === 'always') return true;
  if (policy === 'never') return false;
  return exit.code !== 0;
}

export type RestartDecision =
  | { readonly crashLoop: false; readonly delayMs: number; readonly attempt: number }
  /** `exits` failures within `withinMs`, first to last. */
  | { readonly crashLoop: true; readonly exits: number; readonly withinMs: number };

/** Turns failures into back-off delays and spots a crash loop. */
export class Backoff {
  /** Failures since the last stable run: the delay doubles with each. */
  private failures = 0;
  /** When recent failures happened, oldest first, for the crash-loop window. */
  private recent: number[] = [];

  constructor(private readonly options: BackoffOptions = DEFAULT_BACKOFF) {}

  /** Records a failure of a run that had been up (ready) for `uptimeMs`; 0 if it never was. */
  next(uptimeMs: number, now = Date.now()): RestartDecision {
    const { initialMs, maxMs, crashLoopAfter, crashLoopWindowMs, stableMs } = this.options;
    if (uptimeMs >= stableMs) this.reset();
    this.failures++;
    this.recent = this.recent.filter((at) => now - at < crashLoopWindowMs);
    this.recent.push(now);
    if (this.recent.length >= crashLoopAfter) return { crashLoop: true, exits: this.recent.length, withinMs: now - this.recent[0] };
    const delayMs = Math.min(initialMs * 2 ** (this.failures - 1), maxMs);
    return { crashLoop: false, delayMs, attempt: this.failures };
  }

  reset(): void {
    this.failures = 0;
    this.recent = [];
  }
}

/** `exit code 1`, `signal SIGSEGV`, or why it never started. */
export function describeExit(exit: ProcessExit): string {
  if (exit.error !== undefined) return exit.error;
  if (exit.code !== null) return `exit code ${exit.code}`;
  return exit.signal !== null ? `signal ${exit.signal}` : 'unknown exit';
}
