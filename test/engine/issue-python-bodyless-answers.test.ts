/**
 * A plain WSGI callable returns its body whatever the method or status, and cheroot and wsgiref then
 * sent it after HEAD, 204 and 304 answers too: bytes the next reader of the connection takes for the
 * start of the next answer. Mounts' runner withholds them. Checked on the runner's own port with
 * requests pipelined on one connection, so every byte it wrote is seen in order.
 */
import * as assert from 'node:assert/strict';
import { startEngine, type RunningEngine } from './helpers';
import { pipelined, PYTHON } from './fixtures/python/helpers';

const APP = `
def app(environ, start_response):
    path = environ['PATH_INFO']
    status = {'/304': '304 Not Modified', '/204': '204 No Content'}.get(path, '200 OK')
    headers = [('Content-Type', 'text/plain')]
    if path != '/204':
        headers.append(('Content-Length', '11'))
    start_response(status, headers)
    return [b'hello', b' world']


def lazy(environ, start_response):
    # A generator: start_response runs only when the server asks for the first piece.
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', '11')])
    yield b'hello'
    yield b' world'
`;

/** The status line of each answer and, after its head, whatever came before the next status line. */
function answers(raw: string): string[][] {
  return raw
    .split(/(?=HTTP\/1\.1 \d{3} )/)
    .filter(Boolean)
    .map((answer) => {
      const end = answer.indexOf('\r\n\r\n');
      return [answer.slice(0, answer.indexOf('\r\n')), answer.slice(end + 4)];
    });
}

describe("Mounts' Python runner sends no body where HTTP allows none", function () {
  this.timeout(30_000);
  let running: RunningEngine | undefined;

  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  for (const server of ['cheroot', 'stdlib']) {
    it(`withholds the body a plain WSGI callable returns to HEAD, and with 204 and 304 (${server})`, async () => {
      running = await startEngine(
        {
          mounts: [
            { prefix: '/app', wsgi: 'bodies:app', python: PYTHON, env: { MOUNTS_WSGI_SERVER: server } },
            { prefix: '/lazy', wsgi: 'bodies:lazy', python: PYTHON, env: { MOUNTS_WSGI_SERVER: server } },
          ],
        },
        { 'bodies.py': APP },
      );
      // A first request through Mounts starts each runner (and proves it answers a GET in full).
      for (const prefix of ['/app', '/lazy']) assert.equal(await (await fetch(`${running.origin}${prefix}/x`)).text(), 'hello world');
      const [app, lazy] = running.engine.mounts();
      const seen = answers(await pipelined(app.status.port!, ['HEAD /app/x', 'GET /app/304', 'GET /app/204', 'GET /app/x']));
      assert.deepEqual(seen, [
        ['HTTP/1.1 200 OK', ''],
        ['HTTP/1.1 304 Not Modified', ''],
        ['HTTP/1.1 204 No Content', ''],
        ['HTTP/1.1 200 OK', 'hello world'],
      ]);
      const lazySeen = answers(await pipelined(lazy.status.port!, ['HEAD /lazy/x', 'GET /lazy/x']));
      assert.deepEqual(lazySeen, [
        ['HTTP/1.1 200 OK', ''],
        ['HTTP/1.1 200 OK', 'hello world'],
      ]);
    });
  }
});
