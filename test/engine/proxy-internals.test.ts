/**
 * The undocumented Node internals the proxy's upstream client relies on, pinned on the Node that
 * runs the tests (CI runs them on Node 20 and 24), and the public-API fallback that takes over
 * when they are missing, tested on its own.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { createUpstreamClient } from '../../src/engine/kinds/proxy/client';
import { keepReadingAfterWriteErrors, readOnAfterWriteError } from '../../src/engine/kinds/proxy/writeErrors';
import { bodiesAreCopies, loadHttpParser, type HttpParserBinding, type NativeParser } from '../../src/engine/kinds/proxy/llhttp';
import { createNodeClient } from '../../src/engine/kinds/proxy/nodeClient';
import { closeServer, listen, rawExchange, serveForwarder, type ServedForwarder } from './proxy-harness';

describe(`proxy client internals on Node ${process.versions.node}`, () => {
  describe("require('_http_common').HTTPParser (llhttp)", () => {
    const binding = loadHttpParser();

    /** Parses `chunks` as responses and records every callback in order. */
    function parse(chunks: string[], finish = false): unknown[][] {
      assert.ok(binding, 'the binding is there on this Node');
      const events: unknown[][] = [];
      const parser: NativeParser = new binding();
      parser.initialize(binding.RESPONSE, {}, 0, binding.kLenientNone);
      parser[binding.kOnMessageBegin] = () => events.push(['begin']);
      parser[binding.kOnHeaders] = (headers: string[]) => events.push(['headers', headers]);
      parser[binding.kOnHeadersComplete] = (...args: unknown[]) => {
        events.push(['head', ...args]);
        return 0;
      };
      parser[binding.kOnBody] = (chunk: unknown) => events.push(['body', Buffer.isBuffer(chunk) ? chunk.toString() : chunk]);
      parser[binding.kOnMessageComplete] = () => events.push(['complete']);
      for (const chunk of chunks) {
        const result = parser.execute(Buffer.from(chunk, 'latin1'));
        if (typeof result !== 'number') events.push(['error', (result as NodeJS.ErrnoException).code]);
      }
      if (finish) {
        const result = parser.finish();
        if (result !== undefined) events.push(['finish error', (result as NodeJS.ErrnoException).code]);
      }
      parser.close();
      return events;
    }

    it('has the shape the client speaks', () => {
      assert.ok(binding);
      for (const slot of ['RESPONSE', 'kOnMessageBegin', 'kOnHeaders', 'kOnHeadersComplete', 'kOnBody', 'kOnMessageComplete', 'kLenientNone'] as const) {
        assert.equal(typeof binding[slot], 'number', slot);
      }
    });

    it('calls back with (major, minor, headers, method, url, status, reason, upgrade, keepAlive), then Buffer bodies', () => {
      assert.deepEqual(parse(['HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhel', 'lo']), [
        ['begin'],
        ['head', 1, 1, ['Content-Length', '5', 'X-A', 'b'], undefined, undefined, 200, 'OK', false, true],
        ['body', 'hel'],
        ['body', 'lo'],
        ['complete'],
      ]);
    });

    it('decodes chunked bodies, says keep-alive is off for Connection: close and HTTP/1.0', () => {
      const chunked = parse(['HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n']);
      assert.deepEqual(chunked[1].slice(6), [201, 'Created', false, false]);
      assert.deepEqual(chunked.slice(2), [['body', 'abc'], ['complete']]);
      const old = parse(['HTTP/1.0 200 OK\r\n\r\nuntil close'], true);
      assert.deepEqual([old[1][2], old[1][9]], [0, false], 'HTTP/1.0, no keep-alive');
      assert.deepEqual(old.slice(2), [['body', 'until close'], ['complete']]);
    });

    it('reports 101 as an upgrade, a bad status line as an error with a code, a cut body at finish()', () => {
      assert.equal(parse(['HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'])[1][8], true);
      assert.deepEqual(parse(['XTTP/1.1 200 OK\r\n\r\n']).at(-1), ['error', 'HPE_INVALID_CONSTANT']);
      assert.deepEqual(parse(['HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort'], true).at(-1), ['finish error', 'HPE_INVALID_EOF_STATE']);
    });

    it('hands out body pieces as copies, so the client may parse from one reused read buffer', () => {
      assert.ok(binding);
      const parser: NativeParser = new binding();
      parser.initialize(binding.RESPONSE, {}, 0, binding.kLenientNone);
      const input = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody');
      const pieces: Buffer[] = [];
      parser[binding.kOnHeadersComplete] = () => 0;
      parser[binding.kOnBody] = (piece: Buffer) => pieces.push(piece);
      parser[binding.kOnMessageComplete] = () => undefined;
      parser.execute(input);
      parser.close();
      input.fill(0);
      assert.deepEqual(
        pieces.map((piece) => piece.toString()),
        ['body'],
        'the piece survives the input being overwritten',
      );
      assert.equal(bodiesAreCopies(binding), true);
      const client = createUpstreamClient({ timeoutMs: 0 }) as unknown as { sharedReads: boolean };
      assert.equal(client.sharedReads, true, 'the lean client reads plain connections into its shared buffer');
    });

    it('hands over a long head in pieces through kOnHeaders, then headers undefined', () => {
      const many = Array.from({ length: 40 }, (_, i) => `X-${i}: ${i}\r\n`).join('');
      const events = parse([`HTTP/1.1 200 OK\r\n${many}Content-Length: 0\r\n\r\n`]);
      const pieces = events.filter((event) => event[0] === 'headers').flatMap((event) => event[1] as string[]);
      const head = events.find((event) => event[0] === 'head')!;
      const all = pieces.concat((head[3] as string[] | undefined) ?? []);
      assert.equal(all.length, 82);
      assert.deepEqual(all.slice(0, 2), ['X-0', '0']);
    });
  });

  describe('the shared read buffer of plain upstream connections', () => {
    // More than the kernel buffers of both hops hold, so the first answer really waits in the proxy.
    const SIZE = 48 * 1024 * 1024;
    const PIECE = 64 * 1024;
    const byteAt = (position: number, seed: number) => (position + (position >>> 10) * 7 + seed) & 255;

    it('an answer held in the proxy for a client that does not read is not overwritten by another answer read meanwhile', async () => {
      let onStalled!: () => void;
      const stalled = new Promise<void>((resolve) => (onStalled = resolve));
      const upstream = http.createServer((req, res) => {
        const seed = req.url === '/held' ? 1 : 2;
        res.writeHead(200, { 'Content-Length': String(SIZE) });
        let sent = 0;
        const more = () => {
          while (sent < SIZE) {
            const piece = Buffer.allocUnsafe(Math.min(PIECE, SIZE - sent));
            for (let i = 0; i < piece.length; i++) piece[i] = byteAt(sent + i, seed);
            sent += piece.length;
            if (!res.write(piece)) {
              // Everything between here and the client is full: the proxy holds pieces of this answer.
              if (seed === 1) onStalled();
              res.once('drain', more);
              return;
            }
          }
          res.end();
        };
        more();
      });
      const proxy = await serveForwarder('/api', { target: `http://127.0.0.1:${await listen(upstream)}` });
      /** Reads an answer's body and counts the bytes that are not where the pattern puts them. */
      const check = (response: http.IncomingMessage, seed: number) =>
        new Promise<{ length: number; wrong: number }>((resolve, reject) => {
          let length = 0;
          let wrong = 0;
          response.on('data', (chunk: Buffer) => {
            for (let i = 0; i < chunk.length; i++) if (chunk[i] !== byteAt(length + i, seed)) wrong++;
            length += chunk.length;
          });
          response.on('end', () => resolve({ length, wrong }));
          response.on('error', reject);
        });
      const get = (path: string) =>
        new Promise<http.IncomingMessage>((resolve, reject) => http.get(`${proxy.origin}/api${path}`, { agent: false }, resolve).on('error', reject));
      try {
        const held = await get('/held');
        await stalled;
        const other = await check(await get('/other'), 2);
        assert.deepEqual(other, { length: SIZE, wrong: 0 });
        assert.deepEqual(await check(held, 1), { length: SIZE, wrong: 0 });
      } finally {
        await proxy.close();
        await closeServer(upstream);
      }
    });
  });

  describe("node:stream's autoDestroy and errored on sockets", () => {
    it('a socket starts with autoDestroy on both sides and an errored slot; the client turns them off', async () => {
      const server = net.createServer((socket) => socket.end());
      const port = await listen(server);
      const socket = net.connect(port, '127.0.0.1');
      const states = socket as unknown as { _readableState: { autoDestroy: boolean; errored: unknown }; _writableState: { autoDestroy: boolean } };
      assert.equal(states._readableState.autoDestroy, true);
      assert.equal(states._writableState.autoDestroy, true);
      assert.ok('errored' in states._readableState);
      assert.equal(keepReadingAfterWriteErrors(socket), true);
      assert.deepEqual([states._readableState.autoDestroy, states._writableState.autoDestroy], [false, false]);
      assert.equal(readOnAfterWriteError(socket), true);
      socket.destroy();
      await closeServer(server);
    });

    it('without those internals, both helpers say so and change nothing', () => {
      const fake = { _readableState: {}, _writableState: {} } as unknown as net.Socket;
      assert.equal(keepReadingAfterWriteErrors(fake), false);
      assert.equal(readOnAfterWriteError(fake), false);
    });
  });

  describe('the fallback on node:http when the binding is missing', () => {
    it('loadHttpParser() gives up on a missing module, a throwing one, or another shape', () => {
      assert.equal(loadHttpParser(() => undefined), undefined);
      assert.equal(
        loadHttpParser(() => {
          throw new Error('gone');
        }),
        undefined,
      );
      assert.equal(
        loadHttpParser(() => function Parser() {}),
        undefined,
      );
      const NoFinish = Object.assign(function Parser() {}, { RESPONSE: 2, kOnMessageBegin: 0, kOnHeaders: 1, kOnHeadersComplete: 2, kOnBody: 3, kOnMessageComplete: 4, kLenientNone: 0 });
      NoFinish.prototype.initialize = () => undefined;
      NoFinish.prototype.execute = () => 0;
      assert.equal(
        loadHttpParser(() => NoFinish),
        undefined,
      );
      assert.equal(createUpstreamClient({ timeoutMs: 0 }, () => undefined).constructor.name, 'NodeClient');
      assert.equal(createUpstreamClient({ timeoutMs: 0 }).constructor.name, 'LeanClient');
    });

    it('a binding that hands out views of its input keeps the client on a Buffer per read', () => {
      const real = loadHttpParser()!;
      /** Node's parser, except that body pieces are views of the bytes given to execute(). */
      class ViewingParser extends (real as unknown as new () => NativeParser) {
        execute(data: Buffer): number | Error {
          const onBody = this[real.kOnBody] as ((piece: Buffer) => void) | undefined;
          this[real.kOnBody] = (piece: Buffer) => {
            const at = data.indexOf(piece);
            onBody?.(data.subarray(at, at + piece.length));
          };
          try {
            return super.execute(data);
          } finally {
            this[real.kOnBody] = onBody;
          }
        }
      }
      // The slots (RESPONSE, kOnBody, …) are inherited from Node's class as static members.
      const viewing = ViewingParser as unknown as HttpParserBinding;
      assert.equal(bodiesAreCopies(viewing), false);
      const client = createUpstreamClient({ timeoutMs: 0 }, () => viewing) as unknown as { sharedReads: boolean; constructor: { name: string } };
      assert.deepEqual([client.constructor.name, client.sharedReads], ['LeanClient', false]);
    });

    describe('proxies through node:http', () => {
      let upstream: http.Server;
      let proxy: ServedForwarder;
      const seen: { url: string; body: string; host?: string }[] = [];
      before(async () => {
        upstream = http.createServer((req, res) => {
          const chunks: Buffer[] = [];
          req.on('data', (chunk: Buffer) => chunks.push(chunk));
          req.on('end', () => {
            seen.push({ url: req.url ?? '', body: Buffer.concat(chunks).toString(), host: req.headers.host });
            if (req.url === '/silent') return;
            res.setHeader('Location', '/moved');
            res.end(`fallback ${req.url}`);
          });
        });
        const port = await listen(upstream);
        proxy = await serveForwarder('/api', { target: `http://127.0.0.1:${port}`, timeoutSeconds: 0.3 }, createNodeClient({ timeoutMs: 300 }));
      });
      after(async () => {
        await proxy.close();
        await closeServer(upstream);
      });

      it('GET and a chunked POST, with Location mapped back and framing from the parse', async () => {
        seen.length = 0;
        const raw = await rawExchange(
          proxy.port,
          'GET /api/a HTTP/1.1\r\nHost: x\r\n\r\n' +
            'POST /api/b HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\n\r\n' +
            'GET /api/c HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Content-Length\r\nContent-Length: 5\r\n\r\nGET /' +
            'GET /api/d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
        );
        assert.equal(raw.match(/HTTP\/1\.1 200 OK/g)?.length, 4, raw);
        assert.match(raw, /Location: \/api\/moved/);
        assert.deepEqual(
          seen.map((s) => [s.url, s.body]),
          [
            ['/a', ''],
            ['/b', 'body'],
            ['/c', 'GET /'],
            ['/d', ''],
          ],
        );
      });

      it('504 when the upstream stays silent', async () => {
        const raw = await rawExchange(proxy.port, 'GET /api/silent HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
        assert.match(raw, /^HTTP\/1\.1 504/);
      });
    });
  });
});
