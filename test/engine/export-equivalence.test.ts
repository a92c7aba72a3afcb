/**
 * The exported configuration behaves like Mounts: one workspace (static plain, SPA and listing;
 * proxies stripped and kept; a WebSocket echo; a module) served by Mounts, by real Caddy and by
 * real nginx (with `mounts serve --only module,command` as their app server), and the same table of
 * requests sent to all three. Status, body, Location and what the upstream or module received are
 * compared, and must be equal: error pages' bodies are each server's own, so only their status is
 * compared. What the fronts still do differently is in the README and the exported files' warnings.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import { Engine } from '../../src/engine/index';
import { exportChecked } from './fixtures/exportCheck';
import { startCaddy, startNginx, type Front } from './fixtures/fronts';
import { freePort, isListening, makeWorkspace, request, type SimpleResponse } from './helpers';

const CLI = path.resolve(__dirname, '../../../dist/cli.js');

interface Row {
  readonly name: string;
  readonly path: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

const HTML = { Accept: 'text/html,application/xhtml+xml' };

const ROWS: readonly Row[] = [
  { name: 'static: exact prefix redirects to the folder URL', path: '/site' },
  { name: 'static: exact prefix redirect keeps the query', path: '/site?x=1&y=%20' },
  { name: 'static: folder URL serves index.html', path: '/site/' },
  { name: 'static: a file', path: '/site/a.txt' },
  { name: 'static: a nested file', path: '/site/sub/x.txt' },
  { name: 'static: folder without slash redirects', path: '/site/sub' },
  { name: 'static: folder redirect keeps the query', path: '/site/sub?q=2' },
  { name: 'static: folder without index.html is 404', path: '/site/sub/' },
  { name: 'static: missing file', path: '/site/nope.txt' },
  { name: 'static: dotfile', path: '/site/.env' },
  { name: 'static: file in a dot-folder', path: '/site/.hidden/x.txt' },
  { name: 'boundary: no mount at /sitex', path: '/sitex' },
  { name: 'boundary: prefixes are case-sensitive', path: '/SITE/a.txt' },
  { name: 'boundary: no mount at /', path: '/' },
  { name: 'traversal: literal ..', path: '/site/../secret.txt' },
  { name: 'traversal: encoded ..', path: '/site/%2e%2e/secret.txt' },
  { name: 'traversal: . segment', path: '/site/./a.txt' },
  { name: 'spa: navigation gets index.html', path: '/app/some/route', headers: HTML },
  { name: 'spa: asset request that matches no file is 404', path: '/app/some/route.js', headers: { Accept: '*/*' } },
  { name: 'spa: existing asset', path: '/app/assets/app.js' },
  { name: 'spa: dotfile navigation is still 404', path: '/app/.env', headers: HTML },
  { name: 'spa: folder URL', path: '/app/', headers: HTML },
  { name: 'listing: folder listing', path: '/files/' },
  { name: 'listing: file', path: '/files/one.txt' },
  { name: 'proxy stripped: exact prefix', path: '/api' },
  { name: 'proxy stripped: trailing slash', path: '/api/' },
  { name: 'proxy stripped: path and query', path: '/api/x/y?q=1&r=%2F' },
  { name: 'proxy stripped: boundary', path: '/apix' },
  { name: 'proxy stripped: redirect mapped back', path: '/api/redirect' },
  { name: 'proxy stripped: spoofed forwarded headers replaced', path: '/api/h', headers: { 'X-Forwarded-Prefix': '/evil', 'X-Forwarded-For': '203.0.113.66', 'X-Forwarded-Host': 'evil.test', Forwarded: 'for=1.2.3.4', 'X-Real-IP': '1.2.3.4' } },
  { name: 'proxy stripped: POST body', path: '/api/post', method: 'POST', body: 'hello body', headers: { 'Content-Type': 'text/plain' } },
  { name: 'proxy kept: exact prefix', path: '/keep' },
  { name: 'proxy kept: path and query', path: '/keep/x?y=2' },
  { name: 'proxy kept: deeper prefix wins', path: '/keep/deep/z' },
  { name: 'proxy kept: absolute redirect to the upstream origin mapped back', path: '/keep/absolute' },
  { name: 'module: exact prefix', path: '/mod' },
  { name: 'module: path and query', path: '/mod/a/b?c=d' },
  { name: 'module: boundary', path: '/modx' },
  { name: 'command: exact prefix', path: '/cmd' },
  { name: 'command: path and query, prefix stripped by the app server', path: '/cmd/a?b=c' },
  { name: 'command: spoofed forwarded headers replaced', path: '/cmd/h', headers: { 'X-Forwarded-Prefix': '/evil', 'X-Forwarded-For': '203.0.113.66', 'X-Forwarded-Proto': 'https' } },
  { name: 'host: foreign Host refused', path: '/site/a.txt', headers: { Host: 'evil.test' } },
];

interface Observed {
  readonly status: number;
  readonly location?: string;
  /** Bodies of successful answers (error pages are each server's own). */
  readonly body?: string;
}

async function observe(port: number, row: Row): Promise<Observed> {
  const response: SimpleResponse = await request({
    port,
    path: row.path,
    method: row.method,
    headers: { Host: 'localhost', ...row.headers },
    body: row.body,
  });
  const observed: { status: number; location?: string; body?: string } = { status: response.status };
  if (response.headers.location !== undefined) observed.location = response.headers.location;
  if (response.status < 300) observed.body = normalize(row, response.body);
  return observed;
}

/** Listings are each server's own HTML: what must match is which entries they show. */
function normalize(row: Row, body: string): string {
  if (row.name.startsWith('listing: folder')) {
    return ['one.txt', 'two.txt', 'nested', '.secret'].map((name) => `${name}:${body.includes(name)}`).join(' ');
  }
  return body;
}

/** An upstream that answers with what it received, and redirects /redirect to /login. */
function startEchoUpstream(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url === '/redirect' || req.url === '/keep/absolute') {
        // Path-absolute, and absolute to the upstream's own origin: both mapped to the public path.
        res.writeHead(302, { Location: req.url === '/redirect' ? '/login' : `http://${req.headers.host}/keep/there` });
        res.end();
        return;
      }
      res.setHeader('Content-Type', 'application/json');
      res.end(
        JSON.stringify({
          method: req.method,
          url: req.url,
          host: req.headers.host,
          prefix: req.headers['x-forwarded-prefix'] ?? null,
          forwardedFor: req.headers['x-forwarded-for'] ?? null,
          forwardedHost: req.headers['x-forwarded-host'] ?? null,
          forwardedProto: req.headers['x-forwarded-proto'] ?? null,
          forwarded: req.headers.forwarded ?? null,
          realIp: req.headers['x-real-ip'] ?? null,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket, req) => {
    socket.send(JSON.stringify({ url: req.url, prefix: req.headers['x-forwarded-prefix'] ?? null, host: req.headers.host }));
    socket.on('message', (data) => socket.send(`echo:${String(data)}`));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const MODULE = `const { WebSocketServer } = require(${JSON.stringify(require.resolve('ws'))});
const wss = new WebSocketServer({ noServer: true });
wss.on('connection', (socket, req) => socket.send(JSON.stringify({ url: req.url, baseUrl: req.baseUrl })));
const handler = (req, res) => {
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify({ method: req.method, url: req.url, baseUrl: req.baseUrl, originalUrl: req.originalUrl }));
};
handler.upgrade = (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
handler.close = () => new Promise((resolve) => wss.close(resolve));
module.exports = handler;
`;

/** A command mount's server: says what it received, like the proxy's upstream. */
const COMMAND = `require('node:http').createServer((req, res) => {
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify({ url: req.url, prefix: req.headers['x-forwarded-prefix'], for: req.headers['x-forwarded-for'], host: req.headers['x-forwarded-host'], proto: req.headers['x-forwarded-proto'] }));
}).listen(Number(process.env.PORT), process.env.HOST);
`;

function workspace(upstreamPort: number): { dir: string; config: (port: number) => string } {
  const dir = makeWorkspace({
    'site/index.html': '<h1>site</h1>\n',
    'site/a.txt': 'a\n',
    'site/sub/x.txt': 'x\n',
    'site/.env': 'SECRET=1\n',
    'site/.hidden/x.txt': 'hidden\n',
    'secret.txt': 'outside\n',
    'spa/index.html': '<h1>spa</h1>\n',
    'spa/assets/app.js': 'console.log(1);\n',
    'spa/.env': 'SECRET=2\n',
    'listed/one.txt': '1\n',
    'listed/two.txt': '2\n',
    'listed/nested/three.txt': '3\n',
    'listed/.secret': 's\n',
    'mod.js': MODULE,
    'cmd.js': COMMAND,
  });
  // nginx's workers run as an unprivileged user, which must be able to read the served folders.
  fs.chmodSync(dir, 0o755);
  const upstream = `http://127.0.0.1:${upstreamPort}`;
  const config = (port: number) =>
    JSON.stringify(
      {
        port,
        mounts: [
          { prefix: '/site', static: 'site' },
          { prefix: '/app', static: 'spa', spa: true },
          { prefix: '/files', static: 'listed', listing: true },
          { prefix: '/api', proxy: upstream },
          { prefix: '/keep', proxy: upstream, stripPrefix: false },
          { prefix: '/keep/deep', proxy: `${upstream}/base`, stripPrefix: false },
          { prefix: '/ws', proxy: upstream },
          { prefix: '/mod', module: 'mod.js' },
          { prefix: '/cmd', command: `"${process.execPath}" cmd.js` },
        ],
      },
      null,
      2,
    );
  return { dir, config };
}

interface Served {
  readonly port: number;
  stop(): Promise<void>;
}

describe('export equivalence: Mounts, Caddy and nginx answer the same table of requests', function () {
  this.timeout(60_000);
  let upstream: http.Server;
  let dir: string;
  let config: (port: number) => string;
  let appServer: ChildProcess | undefined;
  let appServerOutput = '';
  let appServerPort: number;
  const served = new Map<string, Served>();
  const results = new Map<string, Observed[]>();

  before(async function () {
    upstream = await startEchoUpstream();
    ({ dir, config } = workspace((upstream.address() as AddressInfo).port));

    // Mounts itself, serving everything.
    const mountsFile = path.join(dir, 'mounts.json');
    fs.writeFileSync(mountsFile, config(0));
    // The fronts serve pages byte for byte: the reference is Mounts without its development-only live loop.
    const engine = new Engine({ configFile: mountsFile, accessLog: false, liveReload: false });
    await engine.start();
    served.set('mounts', { port: engine.port!, stop: () => engine.stop() });

    // The app server, as the exported files' header says to run it.
    appServerPort = await freePort();
    appServer = spawn(process.execPath, [CLI, 'serve', mountsFile, '--only', 'module,command', '--port', String(appServerPort), '--quiet'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    appServer.stdout!.on('data', (chunk) => (appServerOutput += chunk));
    appServer.stderr!.on('data', (chunk) => (appServerOutput += chunk));
    await new Promise<void>((resolve, reject) => {
      const onData = () => {
        if (appServerOutput.includes('Mounts serving')) resolve();
      };
      appServer!.stdout!.on('data', onData);
      appServer!.once('exit', () => reject(new Error(`app server exited:\n${appServerOutput}`)));
    });

    for (const [target, start] of [
      ['caddy', startCaddy],
      ['nginx', startNginx],
    ] as const) {
      const port = await freePort();
      const frontDir = makeWorkspace();
      const file = path.join(frontDir, 'mounts.json');
      // The export's own folder, so relative folders resolve to the same files.
      const exportFile = path.join(dir, `mounts.${target}.json`);
      fs.writeFileSync(exportFile, config(port));
      const result = await exportChecked(target, exportFile, { appServer: `http://127.0.0.1:${appServerPort}` });
      fs.writeFileSync(file.replace(/mounts\.json$/, `exported.${target}`), result.text);
      const front: Front = await start(frontDir, path.join(frontDir, `exported.${target}`), port);
      served.set(target, front);
    }

    for (const [name, server] of served) {
      const observed: Observed[] = [];
      for (const row of ROWS) observed.push(await observe(server.port, row));
      results.set(name, observed);
    }
  });

  after(async function () {
    for (const server of served.values()) await server.stop();
    if (appServer && appServer.exitCode === null) {
      const exited = new Promise((resolve) => appServer!.once('exit', resolve));
      appServer.kill('SIGTERM');
      await exited;
    }
    await new Promise((resolve) => upstream?.close(resolve));
  });

  it('Mounts answers the table as its README says (the reference is right)', function () {
    const mounts = results.get('mounts')!;
    const at = (name: string) => mounts[ROWS.findIndex((row) => row.name === name)];
    assert.deepEqual(at('static: exact prefix redirects to the folder URL'), { status: 301, location: '/site/' });
    assert.equal(at('static: dotfile').status, 404);
    assert.equal(at('traversal: encoded ..').status, 400);
    assert.equal(at('spa: navigation gets index.html').body, '<h1>spa</h1>\n');
    assert.equal(at('listing: folder listing').body, 'one.txt:true two.txt:true nested:true .secret:false');
    assert.equal(JSON.parse(at('proxy stripped: exact prefix').body!).url, '/');
    assert.deepEqual(JSON.parse(at('module: path and query').body!), { method: 'GET', url: '/a/b?c=d', baseUrl: '/mod', originalUrl: '/mod/a/b?c=d' });
    assert.deepEqual(JSON.parse(at('command: spoofed forwarded headers replaced').body!), { url: '/h', prefix: '/cmd', for: '127.0.0.1', host: 'localhost', proto: 'http' });
  });

  for (const target of ['caddy', 'nginx'] as const) {
    it(`${target} answers every row as Mounts does`, function () {
      const mounts = results.get('mounts')!;
      const front = results.get(target)!;
      const mismatches: string[] = [];
      ROWS.forEach((row, index) => {
        const expected = mounts[index];
        const actual = front[index];
        try {
          assert.deepEqual(actual, expected);
        } catch {
          mismatches.push(`${row.name} (${row.path}):\n  mounts ${JSON.stringify(mounts[index])}\n  ${target}  ${JSON.stringify(actual)}`);
        }
      });
      assert.deepEqual(mismatches, [], `${target} differs:\n${mismatches.join('\n')}`);
    });

    it(`${target} proxies WebSocket upgrades, prefix stripped and X-Forwarded-Prefix set, as Mounts does`, async function () {
      const seen: string[] = [];
      for (const name of ['mounts', target]) {
        const socket = new WebSocket(`ws://127.0.0.1:${served.get(name)!.port}/ws/echo?x=1`, { headers: { Host: 'localhost' } });
        const messages: string[] = [];
        await new Promise<void>((resolve, reject) => {
          socket.on('message', (data) => {
            messages.push(String(data));
            if (messages.length === 1) socket.send('ping');
            else {
              socket.close();
              resolve();
            }
          });
          socket.on('error', reject);
        });
        seen.push(messages.join(' | '));
      }
      assert.equal(seen[0], `${JSON.stringify({ url: '/echo?x=1', prefix: '/ws', host: `127.0.0.1:${(upstream.address() as AddressInfo).port}` })} | echo:ping`);
      assert.equal(seen[1], seen[0]);
    });
  }

  it("WebSockets reach a module on the app server through both fronts, checked against the browser's Origin", async function () {
    const connect = (port: number, origin: string) =>
      new Promise<string>((resolve) => {
        const socket = new WebSocket(`ws://127.0.0.1:${port}/mod/live?z=1`, { headers: { Host: `localhost:${port}`, Origin: origin } });
        socket.once('message', (data) => {
          socket.close();
          resolve(String(data));
        });
        socket.once('unexpected-response', (_request, response) => {
          response.resume();
          resolve(`refused ${response.statusCode}`);
        });
        socket.once('error', (error) => resolve(`error ${error.message}`));
      });
    for (const name of ['mounts', 'caddy', 'nginx']) {
      const port = served.get(name)!.port;
      assert.equal(await connect(port, `http://localhost:${port}`), JSON.stringify({ url: '/live?z=1', baseUrl: '/mod' }), name);
      assert.equal(await connect(port, 'http://evil.test'), 'refused 403', name);
    }
  });

  it('the app server served only the module and command mounts', async function () {
    assert.ok(await isListening(appServerPort));
    const direct = await request({ port: appServerPort, path: '/site/a.txt', headers: { Host: 'localhost' } });
    assert.equal(direct.status, 404);
    const module = await request({ port: appServerPort, path: '/mod/q', headers: { Host: 'localhost' } });
    assert.equal(JSON.parse(module.body).url, '/q');
  });
});
