/**
 * The standard library server (the runner's last resort) ended the connection after every answer
 * of unknown length: each streamed answer cost the next request a new connection (66 connections
 * for 100 requests of the traffic family). It sends such answers chunked now, as cheroot does.
 */
import * as assert from 'node:assert/strict';
import { startEngine, type RunningEngine } from './helpers';
import { pipelined, PYTHON } from './fixtures/python/helpers';

const APP = `
def app(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    yield b'streamed '
    yield b''
    yield environ['PATH_INFO'].encode()
`;

describe('the standard library WSGI server sends answers of unknown length chunked', function () {
  this.timeout(30_000);
  let running: RunningEngine | undefined;

  after(async () => {
    await running?.stop();
  });

  it('answers two streamed requests on one connection, each chunked', async () => {
    running = await startEngine({ mounts: [{ prefix: '/s', wsgi: 'stream:app', python: PYTHON, env: { MOUNTS_WSGI_SERVER: 'stdlib' } }] }, { 'stream.py': APP });
    assert.equal(await (await fetch(`${running.origin}/s/first`)).text(), 'streamed /first');
    const raw = await pipelined(running.engine.mounts()[0].status.port!, ['GET /s/a', 'GET /s/b']);
    const answers = raw.split(/(?=HTTP\/1\.1 200 OK\r\n)/);
    assert.equal(answers.length, 2, raw);
    for (const [i, answer] of answers.entries()) {
      const end = answer.indexOf('\r\n\r\n');
      const head = answer.slice(0, end);
      assert.match(head, /\r\nTransfer-Encoding: chunked(\r\n|$)/, head);
      assert.equal(answer.slice(end + 4), `9\r\nstreamed \r\n2\r\n${i === 0 ? '/a' : '/b'}\r\n0\r\n\r\n`);
    }
    assert.doesNotMatch(answers[0], /\r\nConnection: close/i, 'the first answer ended its connection');
  });
});
