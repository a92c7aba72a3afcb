/**
 * `"https": true`: the engine serves TLS with a leaf from the user's local CA (kept in a temporary
 * data folder here), redirects plain HTTP on the same port, makes its child processes trust the CA,
 * and its proxy trusts upstreams the CA signed. Real sockets, real Node and Python children.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { EngineClient } from '../../src/engineProcess/client';
import { CLI, runCli, waitFor } from './cliProcess';
import { certificateNames } from '../../src/engine/tls/localHttps';
import { ensureAuthority, leafFile, RENEW_BEFORE_MS } from '../../src/engine/tls/store';
import { createAuthority, DAY_MS, issueLeaf, subjectAltNames } from '../../src/engine/tls/x509';
import { makeWorkspace, recordingLogger, startEngine, type RunningEngine } from './helpers';

/** A GET over TLS trusting `ca` only (or the default roots when `ca` is undefined). */
function getTls(url: string, ca: string | undefined, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca, headers, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
      })
      .on('error', reject);
  });
}

/** The leaf a TLS client is shown for `servername`. */
function peerCertificate(port: number, servername: string, ca: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername, ca }, () => {
      const cert = socket.getPeerX509Certificate();
      socket.end();
      if (cert) resolve(cert);
      else reject(new Error('no peer certificate'));
    });
    socket.on('error', reject);
  });
}

describe('https: true', function () {
  this.timeout(60_000);
  let dataDir: string;
  let ca: string;
  const running: RunningEngine[] = [];
  const servers: http.Server[] = [];

  before(async () => {
    dataDir = makeWorkspace();
    ca = (await ensureAuthority(recordingLogger([]), dataDir)).cert;
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.stop()));
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  async function serve(config: object, files: Record<string, string> = {}): Promise<RunningEngine & { url: string }> {
    const r = await startEngine({ https: true, ...config }, files, { dataDir });
    running.push(r);
    return { ...r, url: `https://localhost:${r.port}` };
  }

  it('serves static, module, proxy and command mounts over TLS, and says https:// in its URLs', async () => {
    const upstream = http.createServer((req, res) => res.end(`upstream saw ${req.headers['x-forwarded-proto']}`));
    servers.push(upstream);
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const r = await serve(
      {
        mounts: [
          { prefix: '/s', static: 's' },
          { prefix: '/m', module: 'm.js' },
          { prefix: '/p', proxy: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` },
          { prefix: '/c', command: `${JSON.stringify(process.execPath)} c.js` },
        ],
      },
      {
        's/index.html': 'static over tls',
        'm.js': "module.exports = (req, res) => res.end('module over ' + (req.socket.encrypted ? 'tls' : 'plain'));",
        'c.js': "require('http').createServer((req, res) => res.end('command saw ' + req.headers['x-forwarded-proto'])).listen(process.env.PORT, '127.0.0.1');",
      },
    );
    assert.equal(r.engine.url, `https://localhost:${r.port}/`);
    assert.deepEqual(
      r.engine.mounts().map((mount) => mount.url),
      ['/s/', '/m/', '/p/', '/c/'].map((prefix) => `https://localhost:${r.port}${prefix}`),
    );
    assert.equal((await getTls(`${r.url}/s/`, ca)).body, 'static over tls');
    assert.equal((await getTls(`${r.url}/m/`, ca)).body, 'module over tls');
    assert.equal((await getTls(`${r.url}/p/`, ca)).body, 'upstream saw https');
    assert.equal((await getTls(`${r.url}/c/`, ca)).body, 'command saw https');
  });

  it('answers plain http:// on the same port with a redirect to https://, and a Host it does not serve with 421', async () => {
    const r = await serve({ mounts: [{ prefix: '/s', static: 's' }] }, { 's/a.txt': 'a' });
    const plain = (method: string, host: string) =>
      new Promise<http.IncomingMessage>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: r.port, method, path: '/s/a.txt?x=1', headers: { host }, agent: false }, (res) => {
          res.resume();
          resolve(res);
        });
        req.on('error', reject);
        req.end(method === 'POST' ? 'form=1' : undefined);
      });
    for (const method of ['GET', 'POST']) {
      const res = await plain(method, `localhost:${r.port}`);
      assert.equal(res.statusCode, 308, method);
      assert.equal(res.headers.location, `https://localhost:${r.port}/s/a.txt?x=1`);
    }
    assert.equal((await plain('GET', 'evil.example')).statusCode, 421);
    // And the redirect's target answers.
    assert.equal((await getTls(`https://localhost:${r.port}/s/a.txt?x=1`, ca)).body, 'a');
  });

  it('a TLS client that does not trust the CA gets the usual certificate error, at once', async () => {
    const r = await serve({ mounts: [{ prefix: '/s', static: 's' }] }, { 's/a.txt': 'a' });
    const error = await getTls(`${r.url}/s/a.txt`, undefined).then(
      () => undefined,
      (failure: NodeJS.ErrnoException) => failure,
    );
    assert.equal(error?.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('names every configured host in the leaf, and re-issues it when a host changes on reload', async () => {
    const config = (host: string) => ({ https: true, allowedHosts: ['app.test', 'a.b.localhost'], mounts: [{ prefix: '/', host, static: 's' }] });
    const r = await serve(config('api.test'), { 's/a.txt': 'a' });
    const names = (cert: X509Certificate) => subjectAltNames(cert).sort();
    const first = await peerCertificate(r.port, 'api.test', ca);
    assert.deepEqual(names(first), ['*.localhost', '127.0.0.1', '::1', 'a.b.localhost', 'api.test', 'app.test', 'localhost']);
    // Named one by one: OpenSSL, Node and Chromium take no wildcard directly under a top-level name,
    // so `*.localhost` alone would cover none of them.
    for (const name of ['localhost', 'app.test', 'a.b.localhost', 'api.test']) assert.equal(first.checkHost(name), name);
    assert.equal(first.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(first.checkIP('::1'), '::1');

    r.writeConfig(config('api2.test'));
    const reloaded = await r.engine.reload();
    assert.equal(reloaded.outcome, 'applied', JSON.stringify(reloaded));
    const second = await peerCertificate(r.port, 'api2.test', ca);
    assert.deepEqual(names(second), ['*.localhost', '127.0.0.1', '::1', 'a.b.localhost', 'api2.test', 'app.test', 'localhost']);
    assert.notEqual(second.serialNumber, first.serialNumber);
    const body = await new Promise<string>((resolve, reject) => {
      https
        .get({ host: '127.0.0.1', port: r.port, path: '/a.txt', servername: 'api2.test', headers: { host: `api2.test:${r.port}` }, ca, agent: false }, (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    assert.equal(body, 'a');
  });

  it('renews an expired leaf on start', async () => {
    const authority = await ensureAuthority(recordingLogger([]), dataDir);
    const config = { allowedHosts: ['expired.test'], mounts: [{ prefix: '/s', static: 's' }] };
    const names = certificateNames({ allowedHosts: ['expired.test'], mounts: [] }, '127.0.0.1');
    const expired = await issueLeaf(authority, names, Date.now() - 400 * DAY_MS);
    fs.mkdirSync(path.dirname(leafFile(names, dataDir)), { recursive: true });
    fs.writeFileSync(leafFile(names, dataDir), expired.key + expired.cert, { mode: 0o600 });
    const r = await serve(config, { 's/a.txt': 'a' });
    const served = await peerCertificate(r.port, 'localhost', ca);
    assert.notEqual(served.serialNumber, new X509Certificate(expired.cert).serialNumber);
    assert.ok(Date.parse(served.validTo) > Date.now() + 300 * DAY_MS, served.validTo);
    assert.equal((await getTls(`${r.url}/s/a.txt`, ca)).body, 'a');
  });

  it('keeps the CA key to its owner (0600) and never logs it', async () => {
    const fresh = makeWorkspace();
    const logs: string[] = [];
    const r = await startEngine({ https: true, mounts: [{ prefix: '/s', static: 's' }] }, { 's/a.txt': 'a' }, { dataDir: fresh, logger: recordingLogger(logs) });
    running.push(r);
    const keyFile = path.join(fresh, 'ca', 'mounts-ca-key.pem');
    assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.join(fresh, 'ca')).mode & 0o777, 0o700);
    const key = fs.readFileSync(keyFile, 'utf8');
    const body = key.split('\n')[1];
    assert.ok(logs.some((line) => line.includes(path.join(fresh, 'ca', 'mounts-ca.pem'))), 'the CA certificate path is said');
    assert.ok(!logs.some((line) => line.includes('PRIVATE KEY') || line.includes(body)), logs.join('\n'));
    assert.ok(!logs.some((line) => line.includes(keyFile)), 'not even the key path');
  });

  it('Node and Python children reach a sibling mount over https with no flag; a mount env that names its own files wins', async () => {
    const fetchScript = `
      const https = require('https');
      require('http').createServer((req, res) => {
        const url = new URL(req.url, 'http://x').searchParams.get('url');
        if (!url) return res.end(JSON.stringify({ NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS, SSL_CERT_FILE: process.env.SSL_CERT_FILE }));
        https.get(url, (answer) => { let text = ''; answer.on('data', (c) => (text += c)); answer.on('end', () => res.end('node got ' + text)); })
          .on('error', (error) => res.end('node failed: ' + error.code));
      }).listen(process.env.PORT, '127.0.0.1');`;
    const pythonApp = [
      'import urllib.parse, urllib.request',
      'def app(environ, start_response):',
      "    url = urllib.parse.parse_qs(environ['QUERY_STRING'])['url'][0]",
      '    try:',
      "        body = b'python got ' + urllib.request.urlopen(url).read()",
      '    except Exception as error:',
      "        body = ('python failed: %r' % error).encode()",
      "    start_response('200 OK', [('Content-Type', 'text/plain')])",
      '    return [body]',
    ].join('\n');
    const r = await serve(
      {
        mounts: [
          { prefix: '/s', static: 's' },
          { prefix: '/node', command: `${JSON.stringify(process.execPath)} fetch.js` },
          { prefix: '/own', command: `${JSON.stringify(process.execPath)} fetch.js`, env: { NODE_EXTRA_CA_CERTS: '/their/own.pem' } },
          { prefix: '/py', wsgi: 'fetchapp:app', python: '/usr/bin/python3' },
        ],
      },
      { 's/a.txt': 'the sibling', 'fetch.js': fetchScript, 'fetchapp.py': pythonApp },
    );
    const sibling = encodeURIComponent(`https://localhost:${r.port}/s/a.txt`);
    assert.equal((await getTls(`${r.url}/node/?url=${sibling}`, ca)).body, 'node got the sibling');
    assert.equal((await getTls(`${r.url}/py/?url=${sibling}`, ca)).body, 'python got the sibling');
    const env = JSON.parse((await getTls(`${r.url}/own/`, ca)).body) as Record<string, string>;
    assert.equal(env.NODE_EXTRA_CA_CERTS, '/their/own.pem');
    assert.equal(env.SSL_CERT_FILE, path.join(dataDir, 'ca-bundle.pem'));
  });

  it('the proxy trusts an https: upstream the local CA signed, without "secure": false, and still refuses one it did not', async () => {
    const authority = await ensureAuthority(recordingLogger([]), dataDir);
    const ours = await issueLeaf(authority, ['localhost', '127.0.0.1']);
    const strangerCa = await createAuthority('stranger');
    const theirs = await issueLeaf(strangerCa, ['localhost', '127.0.0.1']);
    const upstream = async (pair: { key: string; cert: string }, text: string) => {
      const server = https.createServer(pair, (_req, res) => res.end(text));
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return (server.address() as AddressInfo).port;
    };
    const signed = await upstream(ours, 'signed by the local CA');
    const stranger = await upstream(theirs, 'signed by a stranger');
    // Served over plain HTTP: the proxy's trust does not depend on the engine's own scheme.
    const r = await startEngine(
      {
        mounts: [
          { prefix: '/ours', proxy: `https://localhost:${signed}` },
          { prefix: '/theirs', proxy: `https://localhost:${stranger}` },
        ],
      },
      {},
      { dataDir },
    );
    running.push(r);
    const plainGet = (url: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        http.get(url, (res) => {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        }).on('error', reject);
      });
    assert.deepEqual(await plainGet(`${r.origin}/ours/`), { status: 200, body: 'signed by the local CA' });
    assert.equal((await plainGet(`${r.origin}/theirs/`)).status, 502);
  });

  it("the editor's mounts.https setting serves HTTPS from the engine process, whose URLs say https://", async () => {
    const dir = makeWorkspace({ 's/a.txt': 'from the engine process', 'mounts.json': JSON.stringify({ port: 0, mounts: [{ prefix: '/s', static: 's' }] }) });
    const previous = process.env.MOUNTS_DATA_DIR;
    // The engine process inherits it: its CA is the one this test trusts.
    process.env.MOUNTS_DATA_DIR = dataDir;
    const client = new EngineClient({
      configFile: path.join(dir, 'mounts.json'),
      runtime: async () => ({ execPath: process.execPath, version: process.version, env: {}, source: 'path' as const }),
      https: () => true,
    });
    try {
      await client.start();
      assert.match(client.url ?? '', /^https:\/\/localhost:\d+\/$/);
      const url = client.urlOf({ prefix: '/s' })!;
      assert.match(url, /^https:/);
      assert.equal((await getTls(`${url}a.txt`, ca)).body, 'from the engine process');
    } finally {
      if (previous === undefined) delete process.env.MOUNTS_DATA_DIR;
      else process.env.MOUNTS_DATA_DIR = previous;
      await client.stop();
      client.dispose();
    }
  });

  it('mounts serve --https says https:// in its banner and table; with --only, the app server behind an exported front speaks plain HTTP', async () => {
    const dir = makeWorkspace({ 'm.js': "module.exports = (req, res) => res.end('app');", 'mounts.json': JSON.stringify({ port: 0, mounts: [{ prefix: '/m', module: 'm.js' }] }) });
    const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;
    const run = (args: string) => runCli([], { shell: `MOUNTS_DATA_DIR=${quote(dataDir)} exec ${quote(process.execPath)} ${quote(CLI)} serve ${quote(dir)} ${args}` });
    const secure = run('--https');
    try {
      await waitFor('the https banner', () => /Mounts serving https:\/\/localhost:\d+\//.test(secure.stdout));
      const port = Number(/Mounts serving https:\/\/localhost:(\d+)\//.exec(secure.stdout)![1]);
      await waitFor('the https row of the table', () => secure.stdout.includes(`https://localhost:${port}/m/`));
      assert.equal((await getTls(`https://localhost:${port}/m/`, ca)).body, 'app');
    } finally {
      secure.child.kill('SIGTERM');
      await secure.exited;
    }
    fs.writeFileSync(path.join(dir, 'mounts.json'), JSON.stringify({ https: true, port: 0, mounts: [{ prefix: '/m', module: 'm.js' }] }));
    const appServer = run('--only module');
    try {
      await waitFor(() => `the plain banner of the app server: ${appServer.stdout}${appServer.stderr}`, () => /Mounts serving http:\/\/localhost:\d+\//.test(appServer.stdout));
    } finally {
      appServer.child.kill('SIGTERM');
      await appServer.exited;
    }
  });

  it('turning https on in mounts.json rebinds to TLS on reload and restarts the commands with the CA in their environment', async () => {
    const envScript = "require('http').createServer((req, res) => res.end(JSON.stringify({ ca: process.env.NODE_EXTRA_CA_CERTS ?? null }))).listen(process.env.PORT, '127.0.0.1');";
    const mount = { prefix: '/env', command: `${JSON.stringify(process.execPath)} env.js` };
    const r = await startEngine({ mounts: [mount] }, { 'env.js': envScript }, { dataDir });
    running.push(r);
    assert.match(r.engine.url ?? '', /^http:/);
    r.writeConfig({ https: true, mounts: [mount] });
    const reloaded = await r.engine.reload();
    assert.equal(reloaded.outcome, 'applied', JSON.stringify(reloaded));
    assert.match(r.engine.url ?? '', /^https:/);
    const env = JSON.parse((await getTls(`${r.engine.url}env/`, ca)).body) as { ca: string | null };
    assert.equal(env.ca, path.join(dataDir, 'ca', 'mounts-ca.pem'));
  });

  it('a client that resets its connection before its first byte leaves the server serving', async () => {
    const r = await serve({ mounts: [{ prefix: '/s', static: 's' }] }, { 's/a.txt': 'a' });
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect(r.port, '127.0.0.1', () => {
          socket.resetAndDestroy();
          resolve();
        });
        socket.on('error', reject);
      });
    }
    // Every reset connection has been seen and closed by the server (its count is back to 0).
    const listener = r.engine.httpServer!;
    const open = () => new Promise<number>((resolve, reject) => listener.getConnections((error, count) => (error ? reject(error) : resolve(count))));
    await waitFor('the reset connections to close', async () => (await open()) === 0, 10_000);
    assert.equal((await getTls(`${r.url}/s/a.txt`, ca)).body, 'a');
    assert.equal((await getTls(`${r.url}/s/a.txt`, ca)).body, 'a');
  });

  it('a server left running renews its leaf once it comes within 30 days of its end', async () => {
    const authority = await ensureAuthority(recordingLogger([]), dataDir);
    const names = certificateNames({ allowedHosts: ['aging.test'], mounts: [] }, '127.0.0.1');
    // Current at start, by a few seconds: it crosses the renewal line while the server runs.
    const margin = 8000;
    const aging = await issueLeaf(authority, names, Date.now(), RENEW_BEFORE_MS + 60 * 60 * 1000 + margin);
    fs.mkdirSync(path.dirname(leafFile(names, dataDir)), { recursive: true });
    fs.writeFileSync(leafFile(names, dataDir), aging.key + aging.cert, { mode: 0o600 });
    const r = await startEngine({ https: true, allowedHosts: ['aging.test'], mounts: [{ prefix: '/s', static: 's' }] }, { 's/a.txt': 'a' }, { dataDir, certificateCheckInterval: 100 });
    running.push(r);
    const agingSerial = new X509Certificate(aging.cert).serialNumber;
    assert.equal((await peerCertificate(r.port, 'localhost', ca)).serialNumber, agingSerial, 'served at start');
    const renewed = await waitFor(
      'the renewed leaf',
      async () => {
        const served = await peerCertificate(r.port, 'localhost', ca);
        return served.serialNumber !== agingSerial && served;
      },
      margin + 20_000,
    );
    assert.ok(Date.parse(renewed.validTo) > Date.now() + 300 * DAY_MS, renewed.validTo);
    assert.ok(r.logs.some((line) => line.includes('renewed the HTTPS certificate')), r.logs.join('\n'));
  });

  it('mounts serve --watch re-issues the leaf when a host in mounts.json changes', async () => {
    const config = (host: string) => JSON.stringify({ https: true, port: 0, mounts: [{ prefix: '/', host, static: 's' }] });
    const dir = makeWorkspace({ 's/a.txt': 'a', 'mounts.json': config('one.test') });
    const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;
    const cli = runCli([], { shell: `MOUNTS_DATA_DIR=${quote(dataDir)} exec ${quote(process.execPath)} ${quote(CLI)} serve ${quote(dir)} --watch` });
    try {
      await waitFor(() => `the watching line: ${cli.stdout}${cli.stderr}`, () => cli.stdout.includes('Watching '));
      const port = Number(/Mounts serving https:\/\/localhost:(\d+)\//.exec(cli.stdout)![1]);
      assert.equal((await peerCertificate(port, 'one.test', ca)).checkHost('one.test'), 'one.test');
      fs.writeFileSync(path.join(dir, 'mounts.json'), config('two.test'));
      const reissued = await waitFor(
        'a leaf naming two.test',
        async () => {
          const served = await peerCertificate(port, 'localhost', ca);
          return served.checkHost('two.test') === 'two.test' && served;
        },
        15_000,
      );
      assert.equal(reissued.checkHost('one.test'), undefined, 'the name that went away is gone from it');
    } finally {
      cli.child.kill('SIGTERM');
      await cli.exited;
    }
  });

  it('closes a connection that stalls before its first byte or inside its handshake, after the headers timeout', async () => {
    const r = await serve({ connections: { headersTimeout: 1 }, mounts: [{ prefix: '/s', static: 's' }] }, { 's/a.txt': 'a' });
    // The first bytes of a TLS record header and nothing more: a handshake that never finishes.
    for (const sent of [Buffer.alloc(0), Buffer.from([0x16, 0x03, 0x01])]) {
      const socket = net.connect(r.port, '127.0.0.1');
      socket.on('connect', () => socket.write(sent));
      socket.resume();
      // Closed by the server (not a hang until Node's own 120 s): the mocha timeout is the bound.
      await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    }
    assert.equal((await getTls(`${r.url}/s/a.txt`, ca)).body, 'a');
  });
});
