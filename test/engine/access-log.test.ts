/**
 * The access log: one line per request, including the ones the engine answers itself (refused,
 * unrouted, CONNECT) and upgrades, since those are what a developer looks for when a request
 * does not reach their app.
 */
import assert from 'node:assert/strict';
import { get, rawHttp, startEngine, statusOf, type RunningEngine } from './helpers';

describe('access log', () => {
  let server: RunningEngine;
  before(async () => {
    server = await startEngine(
      { mounts: [{ prefix: '/blog', name: 'blog', module: 'blog.js' }] },
      { 'blog.js': `module.exports = (req, res) => res.end('blog');` },
    );
  });
  after(() => server.stop());

  const accessLines = () => server.logs.filter((line) => line.startsWith('access '));
  async function lineFor(send: () => Promise<unknown>): Promise<string> {
    const before = accessLines().length;
    await send();
    const added = accessLines().slice(before);
    assert.equal(added.length, 1, `one access line, got ${JSON.stringify(added)}`);
    return added[0];
  }

  it('logs a routed request with the mount, status and time', async () => {
    assert.match(await lineFor(() => get(`${server.origin}/blog/x?y=1`)), /^access GET \/blog\/x\?y=1 -> blog 200 \d+\.\dms$/);
  });

  it('logs a request no mount matches', async () => {
    assert.equal(await lineFor(() => get(`${server.origin}/nothing`)), 'access GET /nothing -> (no mount) 404');
  });

  it('logs a refused Host with the reason', async () => {
    const line = await lineFor(() => get(`${server.origin}/blog/x`, { headers: { Host: 'evil.example' } }));
    assert.match(line, /^access GET \/blog\/x -> \(refused\) 403 Host "evil\.example" is not allowed/);
  });

  it('logs a refused target with the reason', async () => {
    const line = await lineFor(() => rawHttp(server.port, 'GET /blog/../x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'));
    assert.equal(line, "access GET /blog/../x -> (refused) 400 The request path contains a '.' or '..' segment.");
  });

  it('logs CONNECT', async () => {
    const line = await lineFor(async () => statusOf(await rawHttp(server.port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 300)));
    assert.equal(line, 'access CONNECT example.com:443 -> (refused) 405 This server is not a forward proxy.');
  });

  it('logs an upgrade no mount accepts', async () => {
    const line = await lineFor(() =>
      rawHttp(server.port, 'GET /blog/ws HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n', 300),
    );
    assert.equal(line, 'access GET /blog/ws -> (refused) 404 blog does not accept upgrades.');
  });

  it('writes nothing when the access log is off', async () => {
    server.engine.setAccessLog(false);
    try {
      const before = accessLines().length;
      await get(`${server.origin}/blog/x`);
      await get(`${server.origin}/nothing`);
      await get(`${server.origin}/blog/x`, { headers: { Host: 'evil.example' } });
      assert.equal(accessLines().length, before);
    } finally {
      server.engine.setAccessLog(true);
    }
  });
});
