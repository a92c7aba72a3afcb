/**
 * The upstream client's framing corners, against scripted raw TCP upstreams (every byte chosen by
 * the test) and node:http ones: how an answer ends, which answers have no body, 1xx, answers that
 * come early or with bytes after them, which connections are reused, retries, timeouts and
 * back-pressure on the way back.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { closeServer, listen, scripted, serveForwarder, type ServedForwarder } from './proxy-harness';

interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

function request(url: string, method = 'GET', body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';

describe('proxy framing (kinds/proxy/leanConnection.ts)', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of cleanup.splice(0).reverse()) await close();
  });
  async function proxyTo(url: string, timeoutSeconds = 60): Promise<ServedForwarder> {
    const proxy = await serveForwarder('/api', { target: url, timeoutSeconds });
    cleanup.push(proxy.close);
    return proxy;
  }
  async function upstreamAnswering(answer: Parameters<typeof scripted>[0]) {
    const upstream = await scripted(answer);
    cleanup.push(upstream.close);
    return upstream;
  }
  const path = (head: string) => head.split(' ')[1];

  it('relays a body read until the upstream closes, and does not reuse that connection', async () => {
    const upstream = await upstreamAnswering((head, _i, socket) => {
      if (path(head) === '/close') {
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\npart one, ');
        socket.end('part two');
      } else socket.write(OK);
    });
    const proxy = await proxyTo(upstream.url);
    const reply = await request(`${proxy.origin}/api/close`);
    assert.equal(reply.status, 200);
    assert.equal(reply.body, 'part one, part two');
    assert.equal((await request(`${proxy.origin}/api/next`)).body, 'ok');
    assert.equal(upstream.heads.length, 2);
  });

  it('reads no body after HEAD, 304 or 204 even with a Content-Length, and keeps the connection', async () => {
    const upstream = await upstreamAnswering((head, _i, socket) => {
      const [method, url] = head.split(' ');
      if (method === 'HEAD') socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n');
      else if (url === '/304') socket.write('HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\nContent-Length: 5\r\n\r\n');
      else if (url === '/204') socket.write('HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n');
      else socket.write(OK);
    });
    const proxy = await proxyTo(upstream.url);
    const head = await request(`${proxy.origin}/api/x`, 'HEAD');
    assert.deepEqual([head.status, head.headers['content-length'], head.body], [200, '10', '']);
    const notModified = await request(`${proxy.origin}/api/304`);
    assert.deepEqual([notModified.status, notModified.headers.etag, notModified.body], [304, '"v1"', '']);
    const noContent = await request(`${proxy.origin}/api/204`);
    assert.deepEqual([noContent.status, noContent.body], [204, '']);
    assert.equal((await request(`${proxy.origin}/api/last`)).body, 'ok');
    assert.equal(upstream.heads.length, 1, 'one upstream connection carried all four');
    assert.equal(upstream.heads[0].length, 4);
  });

  it('a 204 that sends a body anyway: the client gets no body, and the bytes never answer another request', async () => {
    const upstream = await upstreamAnswering((head, _i, socket) => {
      if (path(head) === '/204') socket.write('HTTP/1.1 204 No Content\r\nContent-Length: 38\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil');
      else socket.write(OK);
    });
    const proxy = await proxyTo(upstream.url);
    const reply = await request(`${proxy.origin}/api/204`);
    assert.deepEqual([reply.status, reply.body], [204, '']);
    assert.equal((await request(`${proxy.origin}/api/next`)).body, 'ok');
    assert.equal(upstream.heads.length, 2, 'the 204 connection was not reused');
  });

  it('bytes after a complete answer: the answer is relayed, the connection dropped', async () => {
    const upstream = await upstreamAnswering((head, _i, socket) => {
      if (path(head) === '/extra') socket.write(`${OK}HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil`);
      else socket.write(OK);
    });
    const proxy = await proxyTo(upstream.url);
    assert.equal((await request(`${proxy.origin}/api/extra`)).body, 'ok');
    assert.equal((await request(`${proxy.origin}/api/next`)).body, 'ok');
    assert.equal(upstream.heads.length, 2);
  });

  it('skips 1xx answers (100, 103) and relays the final one', async () => {
    const upstream = await upstreamAnswering((_head, _i, socket) => {
      socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n');
      socket.write('HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\ndone');
    });
    const proxy = await proxyTo(upstream.url);
    const reply = await request(`${proxy.origin}/api/x`, 'POST', 'data');
    assert.deepEqual([reply.status, reply.body], [201, 'done']);
    assert.equal((await request(`${proxy.origin}/api/y`)).status, 201);
    assert.equal(upstream.heads.length, 1);
  });

  it('does not reuse a connection after Connection: close or an HTTP/1.0 answer, even left open', async () => {
    const upstream = await upstreamAnswering((head, _i, socket) => {
      if (path(head) === '/close') socket.write('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok');
      else if (path(head) === '/old') socket.write('HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nold');
      else socket.write(OK);
    });
    const proxy = await proxyTo(upstream.url);
    assert.equal((await request(`${proxy.origin}/api/close`)).body, 'ok');
    assert.equal((await request(`${proxy.origin}/api/old`)).body, 'old');
    assert.equal((await request(`${proxy.origin}/api/next`)).body, 'ok');
    assert.equal(upstream.heads.length, 3);
  });

  it("does not reuse a connection the upstream's Keep-Alive: timeout=0 gives up, and reuses one with time left", async () => {
    const upstream = await upstreamAnswering((head, _i, socket) => {
      const hint = path(head) === '/none' ? 0 : 60;
      socket.write(`HTTP/1.1 200 OK\r\nKeep-Alive: timeout=${hint}\r\nContent-Length: 2\r\n\r\nok`);
    });
    const proxy = await proxyTo(upstream.url);
    await request(`${proxy.origin}/api/none`);
    await request(`${proxy.origin}/api/a`);
    await request(`${proxy.origin}/api/b`);
    assert.deepEqual(
      upstream.heads.map((heads) => heads.map(path)),
      [['/none'], ['/a', '/b']],
    );
  });

  it('closes an idle connection by itself before the upstream would (Keep-Alive: timeout=2)', async () => {
    let answeredAt = 0;
    let closedAt = 0;
    let closedByProxy: () => void = () => undefined;
    const closed = new Promise<void>((resolve) => (closedByProxy = resolve));
    const upstream = await upstreamAnswering((_head, _i, socket) => {
      socket.write('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=2\r\nContent-Length: 2\r\n\r\nok');
      answeredAt = Date.now();
      socket.once('end', () => {
        closedAt = Date.now();
        closedByProxy();
      });
    });
    const proxy = await proxyTo(upstream.url);
    assert.equal((await request(`${proxy.origin}/api/a`)).body, 'ok');
    await closed;
    // At least the 1 s the hint leaves after a margin; the upstream itself never closes here.
    assert.ok(closedAt - answeredAt >= 900, `closed after ${closedAt - answeredAt} ms`);
  });

  it('relays an HTTP/1.0 answer without a length, read until close', async () => {
    const upstream = await upstreamAnswering((_head, _i, socket) => socket.end('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nfrom an old server'));
    const proxy = await proxyTo(upstream.url);
    assert.equal((await request(`${proxy.origin}/api/x`)).body, 'from an old server');
  });

  it('does not retry when the upstream sent a byte before closing a reused connection', async () => {
    const upstream = await upstreamAnswering((_head, index, socket) => {
      if (index === 0) socket.write(OK);
      else {
        socket.write('HTTP/1.1 2');
        socket.destroy();
      }
    });
    const proxy = await proxyTo(upstream.url);
    assert.equal((await request(`${proxy.origin}/api/a`)).status, 200);
    assert.equal((await request(`${proxy.origin}/api/b`)).status, 502);
    assert.equal(upstream.heads.length, 1, 'no second connection: not retried');
  });

  it('does not retry a DELETE or a POST on a reused connection that turns out closed', async () => {
    const upstream = await upstreamAnswering((_head, index, socket) => {
      if (index === 0) socket.write(OK);
      else socket.destroy();
    });
    const proxy = await proxyTo(upstream.url);
    assert.equal((await request(`${proxy.origin}/api/a`)).status, 200);
    assert.equal((await request(`${proxy.origin}/api/b`, 'DELETE')).status, 502);
    assert.equal(upstream.heads.length, 1);
  });

  it('an answer that comes before the request body was sent: relayed, the rest of the body discarded, the connection dropped', async () => {
    const seen: string[] = [];
    const upstream = http.createServer((req, res) => {
      seen.push(req.url ?? '');
      res.end(`early ${req.url}`);
    });
    const port = await listen(upstream);
    cleanup.push(() => closeServer(upstream));
    const proxy = await proxyTo(`http://127.0.0.1:${port}`);
    let upstreamConnections = 0;
    upstream.on('connection', () => upstreamConnections++);
    const reply = await new Promise<Reply>((resolve, reject) => {
      const req = http.request(`${proxy.origin}/api/early`, { method: 'POST', headers: { 'Content-Length': '2000000' }, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        // The rest of the body goes after the answer: the proxy reads and drops it.
        req.end(Buffer.alloc(2000000 - 1000, 'x'));
      });
      req.on('error', reject);
      req.write(Buffer.alloc(1000, 'x'));
    });
    assert.deepEqual([reply.status, reply.body], [200, 'early /early']);
    assert.equal((await request(`${proxy.origin}/api/next`)).body, 'early /next');
    assert.deepEqual(seen, ['/early', '/next']);
    assert.equal(upstreamConnections, 2);
  });

  it('cuts the client response when the upstream goes silent after the first byte (504 only before it)', async () => {
    const upstream = await upstreamAnswering((head, _i, socket) => {
      if (path(head) === '/silent-after') socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nsome');
    });
    const proxy = await proxyTo(upstream.url, 0.3);
    const silentBefore = await request(`${proxy.origin}/api/silent-before`);
    assert.equal(silentBefore.status, 504);
    const cut = await new Promise<string>((resolve, reject) => {
      http
        .get(`${proxy.origin}/api/silent-after`, { agent: false }, (res) => {
          assert.equal(res.statusCode, 200);
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => reject(new Error(`the cut answer looked complete: ${body}`)));
          res.on('aborted', () => resolve(body));
          res.on('error', () => resolve(body));
        })
        .on('error', reject);
    });
    assert.equal(cut, 'some');
  });

  it('opens at most 256 upstream connections; requests beyond them wait and are all answered', async function () {
    this.timeout(60_000);
    const held: http.ServerResponse[] = [];
    let connections = 0;
    let onHeld: () => void = () => undefined;
    const upstream = http.createServer((_req, res) => {
      held.push(res);
      onHeld();
    });
    upstream.on('connection', () => connections++);
    const port = await listen(upstream);
    cleanup.push(() => closeServer(upstream));
    const proxy = await proxyTo(`http://127.0.0.1:${port}`);
    const total = 300;
    const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
    const replies = Array.from(
      { length: total },
      (_, i) =>
        new Promise<number>((resolve, reject) => {
          http
            .get(`${proxy.origin}/api/${i}`, { agent }, (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            })
            .on('error', reject);
        }),
    );
    // The cap: 256 requests reach the upstream, the rest wait in the proxy.
    await new Promise<void>((resolve) => {
      onHeld = () => held.length === 256 && resolve();
      onHeld();
    });
    assert.equal(connections, 256);
    // Answering releases connections to the waiting requests, which reuse them.
    onHeld = () => held.shift()!.end('ok');
    for (const res of held.splice(0)) res.end('ok');
    const statuses = await Promise.all(replies);
    assert.equal(statuses.filter((status) => status === 200).length, total);
    assert.equal(connections, 256, 'the waiting requests went over the same connections');
    agent.destroy();
  });

  it('holds the upstream back while the client reads slowly (back-pressure on the answer)', async function () {
    this.timeout(60_000);
    const total = 64 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 'y');
    let written = 0;
    const upstream = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Length': String(total) });
      const more = () => {
        while (written < total) {
          written += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', more);
            return;
          }
        }
        res.end();
      };
      more();
    });
    const port = await listen(upstream);
    cleanup.push(() => closeServer(upstream));
    const proxy = await proxyTo(`http://127.0.0.1:${port}`);
    let received = 0;
    let peakAhead = 0;
    await new Promise<void>((resolve, reject) => {
      http
        .get(`${proxy.origin}/api/big`, { agent: false }, (res) => {
          res.on('data', (data: Buffer) => {
            received += data.length;
            peakAhead = Math.max(peakAhead, written - received);
            // A slow reader: one piece per turn of the event loop.
            res.pause();
            setImmediate(() => res.resume());
          });
          res.on('end', resolve);
          res.on('error', reject);
        })
        .on('error', reject);
    });
    assert.equal(received, total);
    const ahead = peakAhead / 1024 / 1024;
    assert.ok(ahead < 24, `the upstream got ${ahead.toFixed(1)} MiB ahead of a slow client`);
  });
});
