/**
 * The traffic family (fixtures/traffic.ts) against every forwarding kind, through a real engine:
 * `proxy` to a node:http upstream (and to an https one), `command` running the same server on
 * $PORT, `wsgi` and `asgi` apps on Mounts' Python runner with Debian's Python (its cheroot server,
 * and the standard library one it falls back to); and the proxy's node:http fallback client on a
 * forwarder of its own. Live reload is on, as for users: the bodies are not pages, so they must pass
 * byte for byte. The cases come from TRAFFIC_SEED (a fixed default) and run one after another, so
 * each case's title names what to rerun; TRAFFIC_SEED and TRAFFIC_CASES in the environment pick
 * other ones.
 */
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { NODE, REPO } from './fixtures/command/helpers';
import { PYTHON } from './fixtures/python/helpers';
import { describeCase, generateCases, TrafficClient } from './fixtures/traffic';
import { createNodeClient } from '../../src/engine/kinds/proxy/nodeClient';
import { makeWorkspace, recordingLogger, startEngine } from './helpers';
import { serveForwarder } from './proxy-harness';

const SEED = Number(process.env.TRAFFIC_SEED ?? 0x5eed);
const COUNT = Number(process.env.TRAFFIC_CASES ?? 100);
const FIXTURES = path.join(REPO, 'test/engine/fixtures/traffic');
const SERVER_JS = fs.readFileSync(path.join(FIXTURES, 'server.js'), 'utf8');
const APP_PY = fs.readFileSync(path.join(FIXTURES, 'traffic_app.py'), 'utf8');

interface Served {
  /** Where the client connects. */
  readonly port: number;
  readonly logs: readonly string[];
  /** The port the engine forwards to. */
  upstreamPort(): number;
  /** node:http's client does not reuse a connection after HEAD, 204 or 304 (nodeClient.ts says why). */
  readonly bodylessAnswersEnd?: boolean;
  stop(): Promise<void>;
}

/** A node:http upstream of its own, as a proxy mount's target is; node:https with `tls` files. */
async function nodeUpstream(tls: Record<string, string> = {}): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [path.join(FIXTURES, 'server.js')], { env: { ...process.env, ...tls, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`the upstream exited (${code}) before listening: ${output}`)));
  });
  return { port, child };
}

/** A self-signed certificate for the https upstream, as PEM files in a folder of its own. */
async function certificateFiles(): Promise<Record<string, string>> {
  const selfsigned = (await import('selfsigned')) as unknown as {
    generate(attrs: object[], options: object): Promise<{ private: string; cert: string }>;
  };
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], { days: 1, keySize: 2048 });
  const dir = makeWorkspace({ 'key.pem': pems.private, 'cert.pem': pems.cert });
  return { TLS_KEY: path.join(dir, 'key.pem'), TLS_CERT: path.join(dir, 'cert.pem') };
}

async function proxyTo(scheme: 'http' | 'https'): Promise<Served> {
  const upstream = await nodeUpstream(scheme === 'https' ? await certificateFiles() : {});
  const mount = { prefix: '/m', proxy: `${scheme}://127.0.0.1:${upstream.port}`, ...(scheme === 'https' ? { secure: false } : {}) };
  const running = await startEngine({ mounts: [mount] }, {}, { liveReload: true });
  return {
    port: running.port,
    logs: running.logs,
    upstreamPort: () => upstream.port,
    async stop() {
      await running.stop();
      await stopChild(upstream.child);
    },
  };
}

/**
 * The proxy's fallback upstream client (node:http's, for a Node without the llhttp binding the
 * lean client uses), on a forwarder served without an engine: the engine always picks the lean one.
 */
async function fallbackClient(): Promise<Served> {
  const upstream = await nodeUpstream();
  const logs: string[] = [];
  const options = { target: `http://127.0.0.1:${upstream.port}`, stripPrefix: false, logger: recordingLogger(logs) };
  const proxy = await serveForwarder('/m', options, createNodeClient({ timeoutMs: 60_000 }));
  return {
    port: proxy.port,
    logs,
    upstreamPort: () => upstream.port,
    bodylessAnswersEnd: true,
    async stop() {
      await proxy.close();
      await stopChild(upstream.child);
    },
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

const KINDS: Record<string, () => Promise<Served>> = {
  proxy: () => proxyTo('http'),
  'proxy (https)': () => proxyTo('https'),
  'proxy (node:http fallback client)': fallbackClient,
  command: () => engineServing({ prefix: '/m', command: `${NODE} server.js` }, { 'server.js': SERVER_JS }),
  wsgi: () => engineServing({ prefix: '/m', wsgi: 'traffic_app:app', python: PYTHON }, { 'traffic_app.py': APP_PY }),
  'wsgi (standard library server)': () =>
    engineServing({ prefix: '/m', wsgi: 'traffic_app:app', python: PYTHON, env: { MOUNTS_WSGI_SERVER: 'stdlib' } }, { 'traffic_app.py': APP_PY }),
  asgi: () => engineServing({ prefix: '/m', asgi: 'traffic_app:asgi_app', python: PYTHON }, { 'traffic_app.py': APP_PY }),
};

async function engineServing(mount: object, files: Record<string, string>): Promise<Served> {
  const running = await startEngine({ mounts: [mount] }, files, { liveReload: true });
  return { port: running.port, logs: running.logs, upstreamPort: () => running.engine.mounts()[0].status.port!, stop: () => running.stop() };
}

/**
 * The engine's TCP connections to `port` so far, counted from /proc/net/tcp: each leaves an entry
 * (established, or TIME_WAIT on the side that closed first) for a minute after it is gone.
 */
function connectionsTo(port: number): number {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const peers = new Set<string>();
  for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const [, local, remote] = line.trim().split(/\s+/);
    if (remote?.endsWith(hex)) peers.add(local);
    else if (local?.endsWith(hex) && remote !== '00000000:0000') peers.add(remote);
  }
  return peers.size;
}

const cases = generateCases(SEED, COUNT);

for (const [kind, serve] of Object.entries(KINDS)) {
  describe(`traffic through a ${kind} mount`, function () {
    this.timeout(60_000);
    let served: Served;
    let client: TrafficClient;
    let connectionsBefore = 0;

    before(async () => {
      served = await serve();
      client = new TrafficClient(served.port, '/m');
      // The first request starts a command or Python app that waits for one.
      await client.run({ ...cases[0], index: -1, shape: 'get', size: 10, frame: 'length' });
      connectionsBefore = connectionsTo(served.upstreamPort());
    });

    after(async () => {
      client?.close();
      await served?.stop();
    });

    for (const c of cases) {
      it(describeCase(c), async () => {
        try {
          await client.run(c);
        } catch (error) {
          // The engine's log says what the forwarder saw; the title names the case.
          const logs = served.logs.filter((line) => !line.startsWith('access')).slice(-5);
          const found = error instanceof assert.AssertionError ? ` (got ${inspect(error.actual)}, expected ${inspect(error.expected)})` : '';
          const said = logs.length > 0 ? `\nlast log lines:\n${logs.join('\n')}` : '';
          throw new Error(`${kind}, ${describeCase(c)}: ${(error as Error).message}${found}${said}`, { cause: error });
        }
      });
    }

    it('reused its pooled upstream connections across the run', () => {
      const used = connectionsTo(served.upstreamPort()) - connectionsBefore;
      // A client that goes away ends its connection; every other answer leaves it to the next
      // request (cheroot ends a HEAD's of an answer without a length, and a stopped reader or three
      // at once need more connections for a while).
      const ends = cases.filter((c) => c.shape !== 'get' && c.shape !== 'upload' && (c.shape !== 'conditional' || served.bodylessAnswersEnd === true)).length;
      assert.ok(used <= ends + 4, `${used} upstream connections for ${cases.length} cases (${ends} may end theirs or open more)`);
    });
  });
}
