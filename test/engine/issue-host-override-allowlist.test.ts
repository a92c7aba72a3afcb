/**
 * Regression: the bind address given on the command line (`--host`, the engine's `host` option)
 * was not in the Host allowlist, which read only mounts.json, so the server refused its own address.
 */
import assert from 'node:assert/strict';
import { request, startEngine } from './helpers';

describe('regression: a host override is an allowed Host', () => {
  it('serves Host 127.0.0.2 when bound there by override, and still refuses others', async () => {
    const server = await startEngine({ mounts: [{ prefix: '/', module: 'a.js' }] }, { 'a.js': `module.exports = (q, s) => s.end('ok');` }, { host: '127.0.0.2' });
    try {
      assert.equal(server.engine.url, `http://127.0.0.2:${server.port}/`);
      const own = await request({ host: '127.0.0.2', port: server.port, path: '/', headers: { Host: `127.0.0.2:${server.port}` } });
      assert.equal(own.status, 200);
      const foreign = await request({ host: '127.0.0.2', port: server.port, path: '/', headers: { Host: '127.0.0.3' } });
      assert.equal(foreign.status, 403);
    } finally {
      await server.stop();
    }
  });
});
