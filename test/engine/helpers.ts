/** Shared test plumbing: a real engine on a real port, real HTTP over loopback. */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine, type EngineOptions } from '../../src/engine/index';
import type { Logger } from '../../src/engine/logger';
import { waitFor } from '../waitFor';

export interface RunningEngine {
  readonly engine: Engine;
  /** Root URL without the trailing slash, e.g. http://127.0.0.1:43123 */
  readonly origin: string;
  readonly port: number;
  readonly dir: string;
  readonly file: string;
  readonly logs: string[];
  /** Rewrites mounts.json (the engine is not told; call engine.reload()). */
  writeConfig(config: object | string): void;
  stop(): Promise<void>;
}

/** Every folder makeWorkspace created; removed when the test process exits, whatever the tests did. */
const workspaces = new Set<string>();
// Synchronous on purpose: 'exit' runs no more async work, and it also fires when mocha bails.
process.on('exit', () => {
  for (const dir of workspaces) fs.rmSync(dir, { recursive: true, force: true });
});

/** A temp folder holding `files` (path -> content), removed at the latest when the process exits. */
export function makeWorkspace(files: Record<string, string> = {}): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mounts-test-')));
  workspaces.add(dir);
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  return dir;
}

/** A logger that keeps every line, for assertions. */
export function recordingLogger(lines: string[]): Logger {
  return {
    info: (message, source) => lines.push(`info ${source ?? ''} ${message}`),
    warn: (message, source) => lines.push(`warn ${source ?? ''} ${message}`),
    error: (message, error, source) => lines.push(`error ${source ?? ''} ${message} ${error instanceof Error ? error.message : String(error ?? '')}`),
    access: (line) => lines.push(`access ${line}`),
  };
}

/**
 * Starts an engine on a free port for `config` (an object gets `port: 0` unless it sets one) in a
 * fresh workspace holding `files`.
 */
export async function startEngine(
  config: object | string,
  files: Record<string, string> = {},
  options: Partial<EngineOptions> = {},
): Promise<RunningEngine> {
  const dir = makeWorkspace(files);
  const file = path.join(dir, 'mounts.json');
  const writeConfig = (value: object | string) =>
    fs.writeFileSync(file, typeof value === 'string' ? value : JSON.stringify({ port: 0, ...value }, null, 2));
  writeConfig(config);
  const logs: string[] = [];
  // These tests pin the bytes the apps write; the live loop's own tests turn it on.
  const engine = new Engine({ configFile: file, logger: recordingLogger(logs), stopGracePeriod: 500, liveReload: false, ...options });
  try {
    await engine.start();
  } catch (error) {
    // A failed start lands in 'stopped' with its apps closed; only the folder is left to remove.
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const port = engine.port!;
  return {
    engine,
    origin: `http://127.0.0.1:${port}`,
    port,
    dir,
    file,
    logs,
    writeConfig,
    stop: async () => {
      await engine.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface SimpleResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** One HTTP request with node:http (no URL normalization, no redirects followed). */
export function get(url: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<SimpleResponse> {
  const { hostname, port, pathname, search } = new URL(url);
  return request({ host: hostname, port: Number(port), path: pathname + search, ...options });
}

/** Like `get` but with the raw request path, so tests can send what fetch() would normalize away. */
export function request(options: {
  host?: string;
  port: number;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: options.host ?? '127.0.0.1', port: options.port, path: options.path, method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Writes `text` on a fresh TCP connection and returns everything the server sent until it closed. */
export function rawHttp(port: number, text: string | Buffer, waitMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), waitMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.on('error', reject);
    socket.write(text);
  });
}

/** The status code of a raw HTTP response text. */
export function statusOf(raw: string): number {
  return Number(/^HTTP\/1\.[01] (\d{3})/.exec(raw)?.[1] ?? 0);
}

/** Loopback port checks: the engine's own (a plain TCP connect and a bind to port 0). */
export { freePort, isPortInUse as isListening } from '../../src/engine/ports';

/**
 * Sends a WebSocket upgrade request on a raw connection and returns all the server sent, once the
 * server has closed the connection; rejects if the server leaves it open for `waitMs` (unlike
 * `rawHttp`, which resolves on its own timer and so cannot tell a closed socket from a hanging one).
 */
export function rawUpgrade(port: number, path: string, headers: Record<string, string> = {}, waitMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the connection was left open after: ${Buffer.concat(chunks).toString('latin1')}`));
    }, waitMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.on('error', reject);
    const fields = {
      Host: `127.0.0.1:${port}`,
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
      ...headers,
    };
    socket.write(`GET ${path} HTTP/1.1\r\n${Object.entries(fields).map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`);
  });
}

/**
 * The live processes whose environment holds `MOUNTS_TEST_TAG=<tag>`: give a command mount that env
 * and this finds everything it started, restarts, grandchildren and orphans included (Linux /proc).
 */
export function taggedProcesses(tag: string): number[] {
  const wanted = `\0MOUNTS_TEST_TAG=${tag}\0`;
  const found: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let environ: string;
    try {
      environ = fs.readFileSync(`/proc/${name}/environ`, 'latin1');
    } catch {
      continue; // Gone meanwhile, or not ours to read.
    }
    // A zombie's environment reads empty, so only live processes match.
    if (`\0${environ}`.includes(wanted)) found.push(Number(name));
  }
  return found;
}

/** What `taggedRuns` keeps for the test that runs: its tag, and the engine it started (if any). */
export interface TaggedRun {
  tag: string;
  running: RunningEngine | undefined;
}

/**
 * Mocha hooks for tests whose commands carry `MOUNTS_TEST_TAG`: a fresh tag before each test and,
 * after it whatever failed, the engine left in `running` stopped and every process with the tag killed.
 */
export function taggedRuns(): TaggedRun {
  const run: TaggedRun = { tag: '', running: undefined };
  beforeEach(() => (run.tag = randomUUID()));
  afterEach(async () => {
    await run.running?.stop();
    run.running = undefined;
    for (const pid of taggedProcesses(run.tag)) process.kill(pid, 'SIGKILL');
  });
  return run;
}

/**
 * Resolves once the mount `id` has been handed `count` requests in all (the engine's own counter,
 * bumped as the request reaches the app): the signal that a request is in flight, where a sleep
 * would only guess. Fails naming the mount and the count reached.
 */
export async function untilDispatched(engine: Engine, id: string, count: number, ms = 10_000): Promise<void> {
  const requests = () => engine.mounts().find((mount) => mount.id === id)?.requests ?? 0;
  await waitFor(() => `mount ${id} to be handed ${count} requests (it was handed ${requests()})`, () => requests() >= count, ms);
}
