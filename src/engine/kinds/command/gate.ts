import type { HttpError } from '../app';

/**
 * What requests waiting for a start hang on: resolves when ready, rejects with the 503 to send.
 * A deferred written by hand: `Promise.withResolvers` needs Node 22 while `engines` allows Node 20,
 * and the deferred packages (p-defer) are ESM-only, which the CommonJS build cannot require on 20.
 */
export class Gate {
  readonly promise: Promise<void>;
  resolve!: () => void;
  reject!: (error: HttpError) => void;

  constructor() {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Nobody may be waiting when a start fails.
    this.promise.catch(() => undefined);
  }
}
