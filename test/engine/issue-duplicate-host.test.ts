/**
 * Regression: a request with two Host headers was served. Node keeps the first in
 * `req.headers.host`, which passed the allowlist, while the second (unchecked) stayed in
 * `rawHeaders`, where apps that build headers from it (fetch-style apps through
 * @hono/node-server) saw `localhost, evil.com`. RFC 9112 3.2: a server MUST answer 400.
 */
import assert from 'node:assert/strict';
import { rawHttp, startEngine, statusOf, type RunningEngine } from './helpers';

describe('issue: a second Host header went unchecked', () => {
  let server: RunningEngine;
  before(async () => {
    server = await startEngine(
      { mounts: [{ prefix: '/a', module: 'a.mjs' }] },
      { 'a.mjs': `export default { fetch: (request) => new Response('app saw Host ' + request.headers.get('host')) };` },
    );
  });
  after(() => server.stop());

  for (const [first, second] of [['localhost', 'evil.com'], ['evil.com', 'localhost'], ['localhost', 'localhost']]) {
    it(`answers 400 to Host: ${first} plus Host: ${second}, with the engine's safe headers`, async () => {
      const raw = await rawHttp(server.port, `GET /a HTTP/1.1\r\nHost: ${first}\r\nhost: ${second}\r\nConnection: close\r\n\r\n`);
      assert.equal(statusOf(raw), 400, raw);
      assert.doesNotMatch(raw, /saw/);
      assert.match(raw, /X-Content-Type-Options: nosniff/i);
      assert.match(raw, /Content-Security-Policy: default-src 'none'/i);
    });
  }

  it('the same goes for WebSocket upgrades', async () => {
    const raw = await rawHttp(
      server.port,
      'GET /a HTTP/1.1\r\nHost: localhost\r\nHost: evil.com\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
    );
    assert.equal(statusOf(raw), 400, raw);
  });

  it('one Host header is served as before', async () => {
    const raw = await rawHttp(server.port, 'GET /a HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    assert.equal(statusOf(raw), 200, raw);
    assert.match(raw, /app saw Host localhost$/);
  });
});
