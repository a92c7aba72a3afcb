/**
 * The app server behind an exported front (`mounts serve --only`, engine option
 * `trustLoopbackFront`): a loopback peer's X-Forwarded-For, -Host and -Proto describe the client,
 * for what a proxied upstream receives, for absolute redirects and for the Origin check of
 * upgrades. A peer that is not on loopback, or an engine without the option, is judged as ever.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import { WebSocketServer } from 'ws';
import { rawUpgrade, request, startEngine, statusOf, type RunningEngine } from './helpers';

const FRONT = {
  Host: 'app.example.com',
  'X-Forwarded-For': '203.0.113.7',
  'X-Forwarded-Host': 'app.example.com',
  'X-Forwarded-Proto': 'https',
};

/** An address of this machine that is not loopback: requests from it are not from a front here. */
function outsideAddress(): string {
  const found = Object.values(os.networkInterfaces())
    .flat()
    .find((info) => info !== undefined && info.family === 'IPv4' && !info.internal);
  assert.ok(found, 'this test needs a non-loopback IPv4 address on this machine');
  return found.address;
}

describe('app server: forwarded headers trusted from a loopback front only', function () {
  let upstream: http.Server;
  let trusting: RunningEngine;
  let plain: RunningEngine;

  before(async function () {
    upstream = http.createServer((req, res) => {
      if (req.url === '/redirect') {
        res.writeHead(302, { Location: `http://${req.headers.host}/next` });
        res.end();
        return;
      }
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ for: req.headers['x-forwarded-for'], host: req.headers['x-forwarded-host'], proto: req.headers['x-forwarded-proto'], prefix: req.headers['x-forwarded-prefix'] }));
    });
    new WebSocketServer({ server: upstream }).on('connection', (socket) => socket.terminate());
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const config = {
      allowedHosts: ['app.example.com'],
      mounts: [
        { prefix: '/api', proxy: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` },
        { prefix: '/site', static: 'site' },
      ],
    };
    const files = { 'site/a.txt': 'a' };
    trusting = await startEngine(config, files, { host: '0.0.0.0', trustLoopbackFront: true, only: ['proxy'] });
    plain = await startEngine(config, files, {});
  });

  after(async function () {
    await trusting?.stop();
    await plain?.stop();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  it('passes the front\'s client, Host and scheme on to the upstream', async function () {
    const response = await request({ port: trusting.port, path: '/api/x', headers: FRONT });
    assert.deepEqual(JSON.parse(response.body), { for: '203.0.113.7', host: 'app.example.com', proto: 'https', prefix: '/api' });
  });

  it('maps an absolute redirect of the upstream to the public https origin', async function () {
    const response = await request({ port: trusting.port, path: '/api/redirect', headers: FRONT });
    assert.equal(response.status, 302);
    assert.equal(response.headers.location, 'https://app.example.com/api/next');
  });

  it('ignores the same headers from a peer that is not on loopback', async function () {
    const address = outsideAddress();
    const response = await request({ host: address, port: trusting.port, path: '/api/x', headers: FRONT });
    assert.deepEqual(JSON.parse(response.body), { for: address, host: 'app.example.com', proto: 'http', prefix: '/api' });
  });

  it('ignores them without the option, whoever sends them', async function () {
    const response = await request({ port: plain.port, path: '/api/x', headers: FRONT });
    assert.deepEqual(JSON.parse(response.body), { for: '127.0.0.1', host: 'app.example.com', proto: 'http', prefix: '/api' });
  });

  it("checks an upgrade's Origin against the front's public origin", async function () {
    const front = { ...FRONT, Origin: 'https://app.example.com' };
    assert.equal(statusOf(await rawUpgrade(trusting.port, '/api/ws', front)), 101);
    // The same Origin straight to an engine that trusts no front: not its own port, so refused.
    assert.equal(statusOf(await rawUpgrade(plain.port, '/api/ws', front)), 403);
    // Through the front, a foreign Origin is still refused.
    assert.equal(statusOf(await rawUpgrade(trusting.port, '/api/ws', { ...FRONT, Origin: 'https://evil.test' })), 403);
  });

  it('still refuses a Host it does not serve, forwarded headers or not', async function () {
    const response = await request({ port: trusting.port, path: '/api/x', headers: { ...FRONT, Host: 'evil.test', 'X-Forwarded-Host': 'evil.test' } });
    assert.equal(response.status, 403);
  });

  it('--only serves the kinds it names and no others', async function () {
    assert.equal((await request({ port: trusting.port, path: '/site/a.txt', headers: { Host: 'localhost' } })).status, 404);
    assert.equal((await request({ port: plain.port, path: '/site/a.txt', headers: { Host: 'localhost' } })).status, 200);
  });
});
