/**
 * Regression: an absolute-form target (`GET http://localhost/x`) was checked by its authority only,
 * so a raw client could hand every app any Host header it liked: `req.headers.host` was
 * `evil.com` in a module app, and a proxy mount sent `X-Forwarded-Host: evil.com` upstream and
 * built rewritten `Location`s on it (host header poisoning past the allowlist). Both the authority
 * and the Host header must now be ours.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { rawHttp, startEngine, statusOf, type RunningEngine } from './helpers';

describe('issue: absolute-form targets smuggled a foreign Host header past the allowlist', () => {
  let upstream: http.Server;
  let server: RunningEngine;
  before(async () => {
    upstream = http.createServer((req, res) => res.end(`upstream saw X-Forwarded-Host ${req.headers['x-forwarded-host']}`));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const port = (upstream.address() as { port: number }).port;
    server = await startEngine(
      { mounts: [{ prefix: '/a', module: 'a.js' }, { prefix: '/api', proxy: `http://127.0.0.1:${port}` }] },
      { 'a.js': `module.exports = (req, res) => res.end('app saw Host ' + req.headers.host);` },
    );
  });
  after(async () => {
    await server.stop();
    await new Promise((resolve) => upstream.close(resolve));
  });

  const send = (target: string, host: string) =>
    rawHttp(server.port, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);

  it('refuses a foreign Host header beside an allowed authority, for module and proxy mounts', async () => {
    for (const path of ['/a', '/api/x']) {
      const raw = await send(`http://localhost:${server.port}${path}`, 'evil.com');
      assert.equal(statusOf(raw), 403, raw);
      assert.doesNotMatch(raw, /saw/);
    }
  });

  it('still serves an absolute-form target when both name hosts of ours', async () => {
    const raw = await send(`http://localhost:${server.port}/a`, `127.0.0.1:${server.port}`);
    assert.equal(statusOf(raw), 200, raw);
    assert.match(raw, /app saw Host 127\.0\.0\.1:/);
  });
});
