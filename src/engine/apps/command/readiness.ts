/**
 * Readiness: a command is ready when a TCP connect to its port succeeds, or, with `readyPath`, when
 * a GET there answers with anything but a connection error or a 5xx.
 */
import * as http from 'node:http';
import { isPortInUse } from '../../ports';

const FIRST_INTERVAL_MS = 25;
const MAX_INTERVAL_MS = 250;
const PROBE_TIMEOUT_MS = 2000;

/**
 * Polls until the app answers (true) or `signal` aborts (false). `readyPath` is the path the app
 * itself receives; `headers` go with the GET (the app sees the same `X-Forwarded-Prefix` as always).
 */
export async function waitUntilReady(
  port: number,
  readyPath: string | undefined,
  signal: AbortSignal,
  headers: Readonly<Record<string, string>> = {},
): Promise<boolean> {
  let interval = FIRST_INTERVAL_MS;
  while (!signal.aborted) {
    if (await probe(port, readyPath, headers)) return !signal.aborted;
    await sleep(interval, signal);
    interval = Math.min(interval * 2, MAX_INTERVAL_MS);
  }
  return false;
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
