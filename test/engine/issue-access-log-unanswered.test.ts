/**
 * Regression: the access log said `200` (or `200 aborted`) for a chunked upload whose client got an
 * empty reply, or got the engine's 400 for a body it could not parse: it printed the status the app
 * had set, although the app never sent it. The line now says what the client got.
 */
import assert from 'node:assert/strict';
import { rawHttp, startEngine, statusOf, type RunningEngine } from './helpers';
import { waitFor } from './cliProcess';

describe('issue: the access log said 200 for uploads whose client got no such answer', () => {
  let server: RunningEngine;
  before(async () => {
    server = await startEngine(
      { mounts: [{ prefix: '/read', module: 'read.js' }] },
      { 'read.js': `module.exports = (req, res) => { req.on('error', () => {}); req.resume(); req.on('end', () => res.end('read')); };` },
    );
  });
  after(() => server.stop());

  const accessLine = async (marker: string) => {
    await waitFor(`the access line of ${marker}; logs: ${server.logs.join('\n')}`, () => server.logs.some((line) => line.startsWith('access') && line.includes(marker)));
    return server.logs.find((line) => line.startsWith('access') && line.includes(marker))!;
  };

  it('an unreadable chunked body: the line says 400, as the client got', async () => {
    const raw = await rawHttp(server.port, 'POST /read/bad HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZ\r\n');
    assert.equal(statusOf(raw), 400, raw);
    const line = await accessLine('/read/bad');
    assert.match(line, /-> \/read 400 \(the request body could not be read\)/);
  });

  it('an upload cut off before any answer: the line says no answer, not 200', async () => {
    const raw = await rawHttp(server.port, 'POST /read/cut HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel', 300);
    assert.equal(raw, '', 'the client got an empty reply');
    const line = await accessLine('/read/cut');
    assert.match(line, /-> \/read no answer \(the connection closed first\)/);
    assert.doesNotMatch(line, / 200/);
  });

  it('a whole upload is still logged with its status', async () => {
    const raw = await rawHttp(server.port, 'POST /read/ok HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n');
    assert.equal(statusOf(raw), 200, raw);
    assert.match(await accessLine('/read/ok'), /-> \/read 200 \d/);
  });
});
