/**
 * Readiness: a command is ready when a TCP connect to its port succeeds, or, with `readyPath`, when
 * a GET there answers with anything but a connection error or a 5xx. An app that ignores the port
 * it was given is found on the port it listens on instead.
 */
import * as http from 'node:http';
import { isPortInUse } from '../../ports';

const FIRST_INTERVAL_MS = 25;
const MAX_INTERVAL_MS = 250;
const PROBE_TIMEOUT_MS = 2000;

/**
 * How long a port other than the one given must stay listening, with the given one silent, before
 * it is taken as the app's: a dev server that honours $PORT opens it well within this, while one
 * that listens elsewhere is found in about a second rather than at the end of `readyTimeout`.
 */
const ELSEWHERE_SETTLE_MS = 750;

export interface ReadyOptions {
  /** Sent with the `readyPath` GET (the app sees the same `X-Forwarded-Prefix` as always). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The ports the app listens on (its process group's), to find one that ignores the port it was given. */
  readonly listening?: () => Promise<readonly number[]>;
}

/**
 * Polls until the app answers, and resolves the port it answered on: `port`, or another port the
 * app listens on (see ELSEWHERE_SETTLE_MS). Resolves undefined when `signal` aborts. `readyPath` is
 * the path the app itself receives.
 */
export async function waitUntilReady(port: number, readyPath: string | undefined, signal: AbortSignal, options: ReadyOptions = {}): Promise<number | undefined> {
  const { headers = {}, listening } = options;
  /** Other ports seen listening, with when each was first seen. */
  const since = new Map<number, number>();
  let interval = FIRST_INTERVAL_MS;
  while (!signal.aborted) {
    if (await probe(port, readyPath, headers)) return signal.aborted ? undefined : port;
    if (listening) {
      const now = Date.now();
      const others = (await listening()).filter((other) => other !== port);
      for (const seen of since.keys()) if (!others.includes(seen)) since.delete(seen);
      for (const other of others) if (!since.has(other)) since.set(other, now);
      for (const [other, first] of since) {
        if (now - first >= ELSEWHERE_SETTLE_MS && (await probe(other, readyPath, headers))) return signal.aborted ? undefined : other;
      }
    }
    await sleep(interval, signal);
    interval = Math.min(interval * 2, MAX_INTERVAL_MS);
  }
  return undefined;
}

/** How a start ends; `elsewhere`: the other ports an app not ready in time listens on. */
export type StartOutcome =
  | { readonly outcome: 'ready'; readonly port: number }
  | { readonly outcome: 'aborted' | 'exited' }
  | { readonly outcome: 'timeout'; readonly elsewhere: readonly number[] };

/**
 * Waits until the app is ready (on the port that answered), its process exits, or `timeoutMs`
 * passes, whichever comes first; then aborts `abort`, which stops the polling. A timeout names the
 * ports the app listens on instead, for its message.
 */
export async function startOutcome(port: number, readyPath: string | undefined, abort: AbortController, options: ReadyOptions, exited: Promise<unknown>, timeoutMs: number): Promise<StartOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race<StartOutcome | 'timeout'>([
    waitUntilReady(port, readyPath, abort.signal, options).then((ready) => (ready === undefined ? { outcome: 'aborted' } : { outcome: 'ready', port: ready })),
    exited.then(() => ({ outcome: 'exited' })),
    new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs))),
  ]);
  clearTimeout(timer);
  abort.abort();
  if (outcome !== 'timeout') return outcome;
  const listening = (await options.listening?.()) ?? [];
  return { outcome: 'timeout', elsewhere: listening.filter((other) => other !== port) };
}

/** One attempt: true when the app answered. */
export function probe(port: number, readyPath: string | undefined, headers: Readonly<Record<string, string>> = {}): Promise<boolean> {
  if (readyPath === undefined) return isPortInUse(port, PROBE_TIMEOUT_MS);
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: readyPath, headers, agent: false, timeout: PROBE_TIMEOUT_MS }, (response) => {
      response.resume();
      resolve((response.statusCode ?? 500) < 500);
    });
    request.once('timeout', () => request.destroy());
    request.once('error', () => resolve(false));
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
