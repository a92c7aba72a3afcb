/**
 * Servers that write the body an app returned even after HEAD, 204 or 304 (cheroot, wsgiref) put
 * those bytes on the connection after an answer that has none. When they came after the pooled
 * connection was reused, the next request read them as the start of its own answer and got a 502:
 * GETs interleaved with HEADs failed. Here the upstream holds the stray body back until the next
 * request arrives and sends it just before that request's answer, the worst order there is.
 */
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type * as net from 'node:net';
import { createNodeClient } from '../../src/engine/kinds/proxy/nodeClient';
import { scripted, serveForwarder, type ServedForwarder } from './proxy-harness';

interface Reply {
  readonly status: number;
  readonly body: string;
}

function send(url: string, method = 'GET', body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const STRAY = 'hello world';

/** Answers HEAD and `/304` with no body, then writes STRAY ahead of the next answer on that connection. */
async function strayBodyUpstream() {
  const pending = new WeakMap<object, string>();
  return scripted((head, _index, socket) => {
    const [method, url] = head.split(' ');
    const answer = (text: string) => {
      socket.write((pending.get(socket) ?? '') + text);
      pending.delete(socket);
    };
    if (method === 'HEAD') {
      answer(`HTTP/1.1 200 OK\r\nContent-Length: ${STRAY.length}\r\n\r\n`);
      pending.set(socket, STRAY);
    } else if (url === '/304') {
      // cheroot's 304 for an app that returned a body: no length, keep-alive, the body anyway.
      answer('HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n\r\n');
      pending.set(socket, STRAY);
    } else answer(`HTTP/1.1 200 OK\r\nContent-Length: ${method.length}\r\n\r\n${method}`);
  });
}

describe('bytes an upstream sends after an answer without a body', () => {
  let upstream: Awaited<ReturnType<typeof strayBodyUpstream>>;
  let proxy: ServedForwarder;

  beforeEach(async () => {
    upstream = await strayBodyUpstream();
    proxy = await serveForwarder('/', { target: upstream.url });
  });

  afterEach(async () => {
    await proxy.close();
    await upstream.close();
  });

  it('a GET after a HEAD whose body came late gets its own answer, on a new connection', async () => {
    assert.deepEqual(await send(`${proxy.origin}/page`, 'HEAD'), { status: 200, body: '' });
    assert.deepEqual(await send(`${proxy.origin}/page`), { status: 200, body: 'GET' });
    // The GET went out on the HEAD's connection, met the stray body there, and was sent again.
    assert.deepEqual(upstream.heads.map((heads) => heads.map((head) => head.split(' ')[0])), [['HEAD', 'GET'], ['GET']]);
    assert.deepEqual(await send(`${proxy.origin}/page`), { status: 200, body: 'GET' });
  });

  it('GETs interleaved with 304s and HEADs all get their own answers', async () => {
    for (let i = 0; i < 10; i++) {
      assert.deepEqual(await send(`${proxy.origin}/304`), { status: 304, body: '' }, `round ${i}: 304`);
      assert.deepEqual(await send(`${proxy.origin}/page`), { status: 200, body: 'GET' }, `round ${i}: GET after the 304`);
      assert.deepEqual(await send(`${proxy.origin}/page`, 'HEAD'), { status: 200, body: '' }, `round ${i}: HEAD`);
      assert.deepEqual(await send(`${proxy.origin}/page`, 'OPTIONS'), { status: 200, body: 'OPTIONS' }, `round ${i}: OPTIONS after the HEAD`);
    }
  });

  it('a POST after a HEAD is never sent on that connection (it could not be sent twice)', async () => {
    assert.deepEqual(await send(`${proxy.origin}/page`, 'HEAD'), { status: 200, body: '' });
    assert.deepEqual(await send(`${proxy.origin}/form`, 'POST', 'a=1'), { status: 200, body: 'POST' });
    assert.deepEqual(upstream.heads.map((heads) => heads.map((head) => head.split(' ')[0])), [['HEAD'], ['POST']]);
  });
});

describe('a suspect connection released to a request that waited for one', () => {
  it('is not handed to a waiting POST when every connection is in use', async function () {
    this.timeout(60_000);
    // 255 requests held open; a HEAD answered (with a stray body after it) once a POST waits.
    const held: net.Socket[] = [];
    const pending = new WeakMap<object, string>();
    let onHeld: () => void = () => undefined;
    let onHead: (answer: () => void) => void = () => undefined;
    const upstream = await scripted((head, _index, socket) => {
      const [method, url] = head.split(' ');
      if (url === '/held') {
        held.push(socket);
        onHeld();
      } else if (method === 'HEAD') {
        onHead(() => {
          socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${STRAY.length}\r\n\r\n`);
          pending.set(socket, STRAY);
        });
      } else socket.write(`${pending.get(socket) ?? ''}HTTP/1.1 200 OK\r\nContent-Length: ${method.length}\r\n\r\n${method}`);
    });
    const proxy = await serveForwarder('/', { target: upstream.url });
    try {
      const heldReplies = Array.from({ length: 255 }, () => send(`${proxy.origin}/held`));
      await new Promise<void>((resolve) => {
        onHeld = () => held.length === 255 && resolve();
        onHeld();
      });
      const headArrived = new Promise<() => void>((resolve) => (onHead = resolve));
      const headReply = send(`${proxy.origin}/page`, 'HEAD');
      const answerHead = await headArrived;
      // All 256 connections are busy: the POST waits in the proxy (its handler has run once the
      // server's 'request' listeners reach this one).
      const queued = new Promise<void>((resolve) => proxy.server.once('request', () => resolve()));
      const postReply = send(`${proxy.origin}/form`, 'POST', 'a=1');
      await queued;
      answerHead();
      assert.deepEqual(await headReply, { status: 200, body: '' });
      assert.deepEqual(await postReply, { status: 200, body: 'POST' });
      for (const socket of held) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
      await Promise.all(heldReplies);
    } finally {
      await proxy.close();
      await upstream.close();
    }
  });
});

describe('bytes an upstream sends after an answer without a body (node:http client)', () => {
  let upstream: Awaited<ReturnType<typeof strayBodyUpstream>>;
  let proxy: ServedForwarder;

  beforeEach(async () => {
    upstream = await strayBodyUpstream();
    proxy = await serveForwarder('/', { target: upstream.url }, createNodeClient({ timeoutMs: 60_000 }));
  });

  afterEach(async () => {
    await proxy.close();
    await upstream.close();
  });

  it('GETs and POSTs interleaved with 304s and HEADs all get their own answers', async () => {
    for (let i = 0; i < 5; i++) {
      assert.deepEqual(await send(`${proxy.origin}/304`), { status: 304, body: '' }, `round ${i}: 304`);
      assert.deepEqual(await send(`${proxy.origin}/page`), { status: 200, body: 'GET' }, `round ${i}: GET after the 304`);
      assert.deepEqual(await send(`${proxy.origin}/page`, 'HEAD'), { status: 200, body: '' }, `round ${i}: HEAD`);
      assert.deepEqual(await send(`${proxy.origin}/form`, 'POST', 'a=1'), { status: 200, body: 'POST' }, `round ${i}: POST after the HEAD`);
    }
  });
});
