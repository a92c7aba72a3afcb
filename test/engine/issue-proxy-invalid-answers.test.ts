/**
 * Answers the proxy cannot relay as they are. A `Transfer-Encoding: gzip, chunked` body went to the
 * client de-chunked but still gzipped, with no `Content-Encoding` to say so (a browser shows the
 * compressed bytes); it is refused now, as Go's net/http (Caddy) and Squid refuse it. And every
 * answer llhttp rejected was reported as "could not get an answer ... (HPE_INVALID)"; now the page
 * or the log says what was wrong, in llhttp's words. Both upstream clients (the lean one and its
 * node:http fallback) are held to the same.
 */
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as zlib from 'node:zlib';
import type { UpstreamClient } from '../../src/engine/kinds/proxy/upstream';
import { createNodeClient } from '../../src/engine/kinds/proxy/nodeClient';
import { rawUpgrade, recordingLogger } from './helpers';
import { scripted, serveForwarder, type ServedForwarder } from './proxy-harness';

interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One GET; a cut answer rejects with the client's error. */
function get(url: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: { accept: 'text/plain' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

const GZIPPED = zlib.gzipSync('the body');

const ANSWERS: Record<string, () => string | Buffer> = {
  '/gzip-chunked': () =>
    Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n${GZIPPED.length.toString(16)}\r\n`), GZIPPED, Buffer.from('\r\n0\r\n\r\n')]),
  '/header-value': () => 'HTTP/1.1 200 OK\r\nX-Bad: a\x01b\r\nContent-Length: 2\r\n\r\nok',
  '/chunk-size': () => 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\nzz\r\n',
  '/ok': () => 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
};

const clients: [string, () => UpstreamClient | undefined][] = [
  ['lean client', () => undefined],
  ['node:http client', () => createNodeClient({ timeoutMs: 60_000 })],
];

for (const [clientName, makeClient] of clients) {
  describe(`answers the proxy refuses, and why (${clientName})`, () => {
    let upstream: Awaited<ReturnType<typeof scripted>>;
    let proxy: ServedForwarder;
    let logs: string[];

    beforeEach(async () => {
      upstream = await scripted((head, _index, socket) => socket.write(ANSWERS[head.split(' ')[1]]()));
      logs = [];
      proxy = await serveForwarder('/', { target: upstream.url, logger: recordingLogger(logs) }, makeClient());
    });

    afterEach(async () => {
      await proxy.close();
      await upstream.close();
    });

    it('refuses a body with a transfer coding other than chunked (502 naming it), never passes it on still encoded', async () => {
      const reply = await get(`${proxy.origin}/gzip-chunked`);
      assert.equal(reply.status, 502, reply.body.toString('latin1'));
      assert.match(reply.body.toString(), /sent an answer that cannot be relayed: Transfer-Encoding "gzip, chunked" is not relayed \(only chunked is; a compressed body needs Content-Encoding\) \(HPE_INVALID_TRANSFER_ENCODING\)/);
      assert.deepEqual((await get(`${proxy.origin}/ok`)).body.toString(), 'ok');
    });

    it('names an invalid header value in the 502', async () => {
      const reply = await get(`${proxy.origin}/header-value`);
      assert.equal(reply.status, 502);
      assert.match(reply.body.toString(), /api: http:\/\/127\.0\.0\.1:\d+ sent an answer that cannot be relayed: Invalid header value char \(HPE_INVALID_HEADER_TOKEN\)\./);
    });

    it('names an invalid chunk size in the log when the answer had begun (the client sees a cut)', async () => {
      await assert.rejects(get(`${proxy.origin}/chunk-size`));
      const line = logs.find((entry) => entry.includes('broke off'));
      assert.match(line ?? logs.join('\n'), /GET \/chunk-size: http:\/\/127\.0\.0\.1:\d+ broke off its answer, the client's connection was cut: Invalid character in chunk size \(HPE_INVALID_CHUNK_SIZE\)/);
    });
  });
}

describe('an upgrade the upstream answers with an invalid head', () => {
  it('names what was wrong in the 502 and the log', async () => {
    const upstream = await scripted((_head, _index, socket) => socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nX-Bad: a\x01b\r\n\r\n'));
    const logs: string[] = [];
    const proxy = await serveForwarder('/', { target: upstream.url, logger: recordingLogger(logs) });
    try {
      const answer = await rawUpgrade(proxy.port, '/socket');
      const wanted = /sent an answer that cannot be relayed: Invalid header value char \(HPE_INVALID_HEADER_TOKEN\)\./;
      assert.match(answer, /^HTTP\/1\.1 502 /);
      assert.match(answer, wanted);
      assert.match(logs.join('\n'), wanted);
    } finally {
      await proxy.close();
      await upstream.close();
    }
  });
});
