/**
 * Regression: when a pipelined request could not be parsed while the response to the one before
 * it was being written, the engine's `clientError` handler wrote its `HTTP/1.1 400` into the
 * middle of that response's body (`12345HTTP/1.1 400 Bad Request...`): a spliced, desynchronized
 * response stream. The answer in flight now finishes whole, then the connection closes.
 */
import assert from 'node:assert/strict';
import { rawHttp, startEngine, type RunningEngine } from './helpers';

describe('issue: a malformed pipelined request spliced a 400 into the response in flight', () => {
  let server: RunningEngine;
  before(async () => {
    server = await startEngine(
      { mounts: [{ prefix: '/slow', module: 'slow.js' }, { prefix: '/late', module: 'late.js' }] },
      {
        'slow.js': `module.exports = (req, res) => { res.writeHead(200, { 'Content-Length': 10 }); res.write('12345'); setTimeout(() => res.end('67890'), 200); };`,
        'late.js': `module.exports = (req, res) => setTimeout(() => res.end('late answer'), 200);`,
      },
    );
  });
  after(() => server.stop());

  it('lets the started response finish whole, then closes the connection', async () => {
    const started = Date.now();
    const raw = await rawHttp(server.port, 'GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\nGARBAGE\r\n\r\n', 3000);
    assert.ok(Date.now() - started < 2000, 'closed by the server, not by the test');
    assert.match(raw, /^HTTP\/1\.1 200 OK\r\n/);
    assert.equal(raw.split('HTTP/1.1 ').length - 1, 1, raw);
    assert.equal(raw.slice(raw.indexOf('\r\n\r\n') + 4), '1234567890');
  });

  it('an answer not started yet is not replaced by the 400 either', async () => {
    const raw = await rawHttp(server.port, 'GET /late HTTP/1.1\r\nHost: localhost\r\n\r\nGARBAGE\r\n\r\n', 3000);
    assert.match(raw, /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(raw.endsWith('\r\n\r\nlate answer'), raw);
  });

  it('a malformed request on a quiet connection still gets its 400', async () => {
    const raw = await rawHttp(server.port, 'GARBAGE\r\n\r\n');
    assert.match(raw, /^HTTP\/1\.1 400 /);
  });
});
