/**
 * https: proxy targets against a local HTTPS upstream whose certificate the test makes (selfsigned):
 * SNI and certificate checks, `secure: false` for self-signed upstreams, Host set to the target's,
 * redirects and cookies mapped back to the public http origin, WebSocket upgrades over TLS. The
 * passing certificate check runs the CLI as a child that trusts the test's certificate through
 * NODE_EXTRA_CA_CERTS, the way a user adds a private CA.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as tls from 'node:tls';
import { WebSocket, WebSocketServer } from 'ws';
import { get, startEngine, type RunningEngine } from './helpers';
import { closeServer, listen } from './proxy-harness';

const CLI = path.resolve(__dirname, '../../../dist/cli.js');

interface Seen {
  readonly url: string;
  readonly host: string | undefined;
  readonly servername: string | false | null;
}

async function certificate(): Promise<{ key: string; cert: string }> {
  const selfsigned = (await import('selfsigned')) as unknown as {
    generate(attrs: object[], options: object): Promise<{ private: string; cert: string }>;
  };
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    days: 1,
    keySize: 2048,
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      // Names only: a target spelled with the address must fail the name check.
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

describe('proxy mounts to https: targets', function () {
  this.timeout(30_000);
  let pems: { key: string; cert: string };
  let upstream: https.Server;
  let port: number;
  const seen: Seen[] = [];
  before(async () => {
    pems = await certificate();
    upstream = https.createServer({ key: pems.key, cert: pems.cert }, (req, res) => {
      seen.push({ url: req.url ?? '', host: req.headers.host, servername: (req.socket as tls.TLSSocket).servername });
      if (req.url === '/base/login') {
        res.writeHead(302, {
          Location: `https://localhost:${port}/base/home`,
          'Set-Cookie': ['sid=1; Domain=localhost; Path=/base; Secure; HttpOnly; SameSite=None', 'theme=dark; Domain=.localhost; Secure'],
        });
        res.end();
        return;
      }
      res.end(`tls ${req.url}`);
    });
    const wss = new WebSocketServer({ server: upstream });
    wss.on('connection', (socket) => socket.on('message', (data) => socket.send(`echo ${String(data)}`)));
    port = await listen(upstream);
  });
  after(() => closeServer(upstream));

  describe('in the engine', () => {
    let server: RunningEngine;
    afterEach(() => server?.stop());

    it('refuses a self-signed upstream by default: 502 naming the certificate problem', async () => {
      server = await startEngine({ mounts: [{ prefix: '/api', proxy: `https://localhost:${port}/base` }] });
      const reply = await get(`${server.origin}/api/x`);
      assert.equal(reply.status, 502);
      assert.match(reply.body, /SELF_SIGNED|self.signed/i);
    });

    it('with secure: false, proxies over TLS with SNI and the target as Host, and maps Location and cookies back', async () => {
      server = await startEngine({ mounts: [{ prefix: '/api', proxy: `https://localhost:${port}/base`, secure: false }] });
      seen.length = 0;
      const reply = await get(`${server.origin}/api/x?q=1`);
      assert.deepEqual([reply.status, reply.body], [200, 'tls /base/x?q=1']);
      assert.deepEqual(seen, [{ url: '/base/x?q=1', host: `localhost:${port}`, servername: 'localhost' }]);
      const login = await get(`${server.origin}/api/login`);
      assert.equal(login.status, 302);
      assert.equal(login.headers.location, `${server.origin}/api/home`);
      assert.deepEqual(login.headers['set-cookie'], ['sid=1; Path=/api; HttpOnly; SameSite=Lax', 'theme=dark']);
    });

    it('relays WebSocket upgrades to the https: target', async () => {
      server = await startEngine({ mounts: [{ prefix: '/api', proxy: `https://localhost:${port}/base`, secure: false }] });
      const socket = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws`);
      const answer = await new Promise<string>((resolve, reject) => {
        socket.on('open', () => socket.send('hi'));
        socket.on('message', (data) => resolve(String(data)));
        socket.on('error', reject);
      });
      socket.close();
      assert.equal(answer, 'echo hi');
    });
  });

  describe('with the certificate trusted (CLI child, NODE_EXTRA_CA_CERTS)', () => {
    let dir: string;
    before(function () {
      if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mounts-https-'));
      fs.writeFileSync(path.join(dir, 'ca.pem'), pems.cert);
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** Serves `target` from the CLI and returns what two requests got, with a name the certificate has and without. */
    async function serveAndGet(target: string): Promise<{ status: number; body: string }> {
      fs.writeFileSync(path.join(dir, 'mounts.json'), JSON.stringify({ port: 0, mounts: [{ prefix: '/api', proxy: target }] }));
      const child = spawn(process.execPath, [CLI, 'serve', path.join(dir, 'mounts.json'), '--port', '0', '--quiet'], {
        env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(dir, 'ca.pem') },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      try {
        const publicPort = await new Promise<number>((resolve, reject) => {
          let out = '';
          child.stdout!.on('data', (chunk: Buffer) => {
            out += chunk.toString();
            const match = /Mounts serving http:\/\/localhost:(\d+)\//.exec(out);
            if (match) resolve(Number(match[1]));
          });
          child.once('exit', (code) => reject(new Error(`the CLI exited with ${code}: ${out}`)));
        });
        const reply = await get(`http://127.0.0.1:${publicPort}/api/x`);
        return { status: reply.status, body: reply.body };
      } finally {
        child.kill('SIGTERM');
        await exited;
      }
    }

    it('accepts the upstream when its certificate is trusted and names the target host', async () => {
      assert.deepEqual(await serveAndGet(`https://localhost:${port}`), { status: 200, body: 'tls /x' });
    });

    it('refuses it when the target names a host the certificate does not (127.0.0.1)', async () => {
      const reply = await serveAndGet(`https://127.0.0.1:${port}`);
      assert.equal(reply.status, 502);
      assert.match(reply.body, /ERR_TLS_CERT_ALTNAME_INVALID/);
    });
  });
});

