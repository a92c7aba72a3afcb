/**
 * The one poller of the plain-node and the editor tests, for what has no event to wait on (a log
 * line, a counter, another process's state). Tests wait on signals, never on time: the deadline
 * only turns a signal that never comes into a failure that names it.
 */

/** What `check` returns when the wait is over: anything but undefined, null, false, 0 or ''. */
export type Truthy<T> = Exclude<T, undefined | null | false | 0 | ''>;

/** How often `check` is asked; small, since each ask is cheap next to what it waits for. */
const EVERY_MS = 20;

/**
 * Asks `check` until it returns a truthy value, and returns that value. A `check` that throws is
 * asked again (a server still starting refuses connections); after `ms` the wait fails naming
 * `what` (a function: worded when it fails, so it can say what was seen) and the last error.
 */
export async function waitFor<T>(what: string | (() => string), check: () => T | Promise<T>, ms = 10_000): Promise<Truthy<T>> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as Truthy<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      const words = typeof what === 'string' ? what : what();
      throw new Error(`timed out after ${ms} ms waiting for ${words}${last === undefined ? '' : `: ${String(last)}`}`);
    }
    await new Promise((resolve) => setTimeout(resolve, EVERY_MS));
  }
}
