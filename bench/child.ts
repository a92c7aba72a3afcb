/**
 * One benchmark process: `node out/bench/child.js MODE JSON`. The runner starts every server (and
 * the WebSocket load generator) in its own process so each can be pinned to its own core and killed
 * cleanly. A server prints `READY <port>` once it listens and stops on SIGTERM; a measurement
 * prints one line of JSON and exits.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

const [, , mode, rawArgs = '{}'] = process.argv;
const args = JSON.parse(rawArgs) as Record<string, unknown>;

const modes: Record<string, () => Promise<void>> = {
  /** The ceiling: node:http calling the same handler the engine mounts. */
  async bare() {
    const handler = require(String(args.handler)) as Handler;
    await serve(http.createServer(handler));
  },

  /** Express 5 `app.use('/app', sub)` with the same handler on `sub.get('/hello')`. */
  async express() {
    const express = require('express') as typeof import('express');
    const handler = require(String(args.handler)) as Handler;
    const app = express();
    const sub = express();
    sub.get('/hello', handler);
    app.use('/app', sub);
    await serve(http.createServer(app));
  },

  /**
   * The floor for a correct static answer in Node: node:http sending the file's bytes, read once,
   * with the six headers the engine's static mount sends (validators, type, length, ranges,
   * caching). What the engine costs on top of this is its own.
   */
  async staticFloor() {
    const file = String(args.file);
    const prefix = String(args.prefix);
    const body = fs.readFileSync(file);
    const stat = fs.statSync(file);
    const headers = [
      'Accept-Ranges', 'bytes',
      'Cache-Control', 'public, max-age=0',
      'Last-Modified', stat.mtime.toUTCString(),
      'ETag', `"${body.length.toString(16)}-${Math.floor(stat.mtimeMs).toString(36)}"`,
      'Content-Type', args.contentType === undefined ? 'application/octet-stream' : String(args.contentType),
      'Content-Length', String(body.length),
    ];
    const route = prefix + '/' + path.basename(file);
    await serve(
      http.createServer((req, res) => {
        if (req.url !== route) {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, headers);
        res.end(body);
      }),
    );
  },

  /** pillarjs/send, the library under serve-static: what a plain Node static server costs. */
  async send() {
    const send = require('send') as typeof import('send');
    const root = String(args.root);
    const prefix = String(args.prefix);
    await serve(
      http.createServer((req, res) => {
        const pathname = (req.url ?? '/').split('?')[0].slice(prefix.length);
        send(req, pathname, { root })
          .on('error', (error: { status?: number }) => {
            res.statusCode = error.status ?? 500;
            res.end();
          })
          .pipe(res);
      }),
    );
  },

  /**
   * The simplest Node proxy (issue 5's "node pipe proxy" reference): node:http with a keep-alive
   * agent, headers copied as they are, bodies piped. No header hygiene: a floor, not a product.
   */
  async pipe() {
    const upstreamPort = Number(args.upstreamPort);
    const prefix = String(args.prefix);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
    await serve(
      http.createServer((req, res) => {
        const upstream = http.request(
          { host: '127.0.0.1', port: upstreamPort, method: req.method, path: (req.url ?? '/').slice(prefix.length) || '/', headers: req.headers, agent },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', () => {
          res.statusCode = 502;
          res.end();
        });
        req.pipe(upstream);
      }),
    );
  },

  /** http-proxy-3 (a maintained rewrite of http-proxy) with a keep-alive agent, prefix stripped. */
  async httpProxy3() {
    const { createProxyServer } = require('http-proxy-3') as typeof import('http-proxy-3');
    const prefix = String(args.prefix);
    const proxy = createProxyServer({ target: `http://127.0.0.1:${Number(args.upstreamPort)}`, agent: new http.Agent({ keepAlive: true, maxSockets: 256 }) });
    proxy.on('error', (_error, _req, res) => {
      if (res instanceof http.ServerResponse && !res.headersSent) res.writeHead(502).end();
    });
    await serve(
      http.createServer((req, res) => {
        req.url = (req.url ?? '/').slice(prefix.length) || '/';
        proxy.web(req, res);
      }),
    );
  },

  /**
   * The proxy mount's forwarder alone on node:http, with either upstream client: what the lean
   * client saves over node:http's own, everything else equal.
   */
  async forwarder() {
    const { createForwarder } = require('../src/engine/kinds/proxy/forwarder') as typeof import('../src/engine/kinds/proxy/forwarder');
    const { createNodeClient } = require('../src/engine/kinds/proxy/nodeClient') as typeof import('../src/engine/kinds/proxy/nodeClient');
    const { silentLogger } = require('../src/engine/logger') as typeof import('../src/engine/logger');
    const prefix = String(args.prefix);
    const options = { name: 'api', target: `http://127.0.0.1:${Number(args.upstreamPort)}`, stripPrefix: true, timeoutSeconds: 60, logger: silentLogger };
    const forwarder = createForwarder(options, args.client === 'node' ? createNodeClient({ timeoutMs: 60_000 }) : undefined);
    type Mounted = Parameters<typeof forwarder.handle>[0];
    await serve(
      http.createServer((req, res) => {
        const mounted = req as Mounted;
        mounted.originalUrl = req.url ?? '/';
        mounted.baseUrl = prefix;
        mounted.url = mounted.originalUrl.slice(prefix.length) || '/';
        forwarder.handle(mounted, res, (error) => {
          res.statusCode = (error as { status?: number }).status ?? 500;
          res.end();
        });
      }),
    );
  },

  /** The engine through its public API. */
  async engine() {
    const { Engine } = loadEngine();
    await serveUntilTerm(new Engine({ configFile: String(args.configFile), accessLog: false }));
  },

  /**
   * A plain-Node stand-in for the editor: the engine in its own process, started by the editor's
   * client on this Node, serving; this process only consumes the client's events (as the tree and
   * the log would) and reports `READY <port>` of the engine process's server.
   */
  async client() {
    await serveUntilTerm(newClient(Boolean(args.accessLog)));
  },

  /**
   * Start through the client, from the start call until the port answers `args.path` with 200,
   * `args.repeats` times (each start forks a new engine process; the first is cold), and stop of
   * the idle engine until the port is free and the process has exited.
   */
  async clientLifecycle() {
    const starts: number[] = [];
    const stops: number[] = [];
    for (let i = 0; i < Number(args.repeats); i++) {
      const client = newClient(false);
      client.setPortOverride(0);
      const t0 = performance.now();
      await client.start();
      const status = await getStatus(client.port!, String(args.path), false);
      starts.push(performance.now() - t0);
      if (status !== 200) throw new Error(`GET ${String(args.path)} answered ${status}`);
      const { pid, port } = client;
      const t1 = performance.now();
      await client.stop();
      stops.push(performance.now() - t1);
      if (fs.existsSync(`/proc/${pid}/stat`) && !/\) [ZX] /.test(fs.readFileSync(`/proc/${pid}/stat`, 'latin1'))) throw new Error(`engine process ${pid} still runs after stop()`);
      if (await getStatus(port!, '/', false).then(() => true, () => false)) throw new Error(`port ${port} still answers after stop()`);
    }
    print({ coldStart: starts[0], warmStarts: starts.slice(1), stops });
  },

  /** The WebSocket upstream: echoes every message. */
  async wsEcho() {
    const { WebSocketServer } = await import('ws');
    const server = http.createServer((_req, res) => res.end('ws only'));
    const wss = new WebSocketServer({ server, perMessageDeflate: false });
    wss.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
    await serve(server);
  },

  /**
   * WebSocket load: `connections` clients each keep one message in flight (send, await the echo,
   * send again). Prints round trips per second measured after `warmupMs`.
   */
  async wsLoad() {
    const { WebSocket } = await import('ws');
    const url = String(args.url);
    const connections = Number(args.connections);
    const warmupMs = Number(args.warmupMs);
    const durationMs = Number(args.durationMs);
    const payload = Buffer.alloc(Number(args.size ?? 64), 'x');
    let count = 0;
    let running = true;
    const sockets = await Promise.all(
      Array.from(
        { length: connections },
        () =>
          new Promise<InstanceType<typeof WebSocket>>((resolve, reject) => {
            const socket = new WebSocket(url, { perMessageDeflate: false });
            socket.once('open', () => resolve(socket));
            socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
            socket.once('error', reject);
          }),
      ),
    );
    for (const socket of sockets) {
      socket.on('message', (data: Buffer) => {
        if (data.length !== payload.length) throw new Error(`echo of ${data.length} bytes, sent ${payload.length}`);
        count++;
        if (running) socket.send(payload);
      });
      socket.send(payload);
    }
    await delay(warmupMs);
    const start = count;
    const t0 = performance.now();
    await delay(durationMs);
    const messages = count - start;
    const seconds = (performance.now() - t0) / 1000;
    running = false;
    for (const socket of sockets) socket.terminate();
    print({ messages, seconds, rate: messages / seconds, total: count });
  },

  /**
   * Start-to-listening and stop of one mounts.json: the first start in a fresh process (cold: the
   * apps' modules load) and `repeats` warm ones. Before each stop one keep-alive request leaves an
   * idle connection open, as a browser does.
   */
  async lifecycle() {
    const { Engine } = loadEngine();
    const repeats = Number(args.repeats);
    const starts: number[] = [];
    const stops: number[] = [];
    for (let i = 0; i < repeats + 1; i++) {
      const engine = new Engine({ configFile: String(args.configFile), accessLog: false });
      const t0 = performance.now();
      await engine.start();
      starts.push(performance.now() - t0);
      const agent = new http.Agent({ keepAlive: true });
      await getStatus(engine.port!, String(args.path), agent);
      const t1 = performance.now();
      await engine.stop();
      stops.push(performance.now() - t1);
      agent.destroy();
    }
    print({ coldStart: starts[0], warmStarts: starts.slice(1), stops });
  },

  /**
   * Start to ready of a wsgi mount: from `engine.start()` until its first answer (which waits for
   * the Python runner to import the app and listen), `repeats + 1` times; the first is the cold one.
   */
  async pythonReady() {
    const { Engine } = loadEngine();
    const starts: number[] = [];
    for (let i = 0; i < Number(args.repeats) + 1; i++) {
      const engine = new Engine({ configFile: String(args.configFile), accessLog: false });
      const t0 = performance.now();
      await engine.start();
      const status = await getStatus(engine.port!, String(args.path), false);
      starts.push(performance.now() - t0);
      await engine.stop();
      if (status !== 200) throw new Error(`${String(args.path)} answered ${status}`);
    }
    print({ coldStart: starts[0], warmStarts: starts.slice(1) });
  },

  /**
   * `cycles` start/request/stop cycles of one engine; open file descriptors and RSS after a warm-up
   * of 10 cycles and at the end. `upstream` starts an in-process upstream for a proxy mount.
   */
  async cycles() {
    const { Engine } = loadEngine();
    const cycles = Number(args.cycles);
    const paths = args.paths as string[];
    let upstream: http.Server | undefined;
    if (args.upstreamHandler) {
      upstream = http.createServer(require(String(args.upstreamHandler)) as Handler);
      await new Promise<void>((resolve) => upstream!.listen(Number(args.upstreamPort), '127.0.0.1', resolve));
    }
    const warmup = Math.min(10, Math.floor(cycles / 2));
    let fdWarm = 0;
    let rssWarm = 0;
    const t0 = performance.now();
    for (let i = 0; i < cycles; i++) {
      const engine = new Engine({ configFile: String(args.configFile), accessLog: false });
      await engine.start();
      for (const requestPath of paths) {
        const status = await getStatus(engine.port!, requestPath, false);
        if (status !== 200) throw new Error(`cycle ${i}: GET ${requestPath} answered ${status}`);
      }
      await engine.stop();
      if (i + 1 === warmup) {
        fdWarm = openFds();
        rssWarm = process.memoryUsage.rss();
      }
    }
    const ms = performance.now() - t0;
    await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
    print({ cycles, warmup, fdWarm, fdEnd: openFds(), rssWarm, rssEnd: process.memoryUsage.rss(), ms });
  },
};

/** The editor's client of an engine process on this Node; its events are consumed as the editor would. */
function newClient(accessLog: boolean) {
  const { EngineClient } = require('../src/engineProcess/client') as typeof import('../src/engineProcess/client');
  let consumed = 0;
  const count = () => void consumed++;
  const client = new EngineClient({
    configFile: String(args.configFile),
    runtime: async () => ({ execPath: process.execPath, version: process.version, env: {}, source: 'path' }),
    accessLog,
    logger: { info: count, warn: count, error: count, access: count },
    // The bundle the extension ships, not tsc's many files: what the editor really starts.
    script: path.join(__dirname, '..', '..', 'dist', 'engineProcess.js'),
  });
  client.onDidChangeMounts(() => {
    for (const mount of client.mounts()) consumed += mount.requests > 0 ? 0 : 1;
  });
  return client;
}

/** Loaded only by the modes that need it, so the reference servers never load the engine. */
function loadEngine(): typeof import('../src/engine/index') {
  return require('../src/engine/index') as typeof import('../src/engine/index');
}

function serve(server: http.Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(args.port ?? 0), '127.0.0.1', () => {
      process.once('SIGTERM', () => {
        server.closeAllConnections();
        server.close(() => process.exit(0));
      });
      ready((server.address() as AddressInfo).port);
      resolve();
    });
  });
}

/** Starts the engine (or the client of one), says where it listens, and stops it on SIGTERM before exiting. */
async function serveUntilTerm(server: { start(): Promise<unknown>; stop(): Promise<unknown>; readonly port: number | undefined }): Promise<void> {
  await server.start();
  process.once('SIGTERM', () => {
    server.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  ready(server.port!);
}

function ready(port: number): void {
  process.stdout.write(`READY ${port}\n`);
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

function getStatus(port: number, requestPath: string, agent: http.Agent | false): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: requestPath, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

function openFds(): number {
  return fs.readdirSync(path.join('/proc', String(process.pid), 'fd')).length;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const run = modes[mode];
if (!run) {
  process.stderr.write(`unknown mode ${mode}; one of ${Object.keys(modes).join(', ')}\n`);
  process.exit(64);
}
run().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
