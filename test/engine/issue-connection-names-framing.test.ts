/**
 * Regression: `Connection: keep-alive, Content-Length` on a GET with a body. The proxy removed
 * Content-Length as a header named in Connection but still sent the body, so a keep-alive upstream
 * (node:http, Python's HTTP/1.1 servers) read the body as a second request, one that skipped the
 * X-Forwarded-* cleaning (X-Forwarded-For: 6.6.6.6 arrived). A request whose Connection header
 * names Content-Length, Transfer-Encoding or Host is now refused with 400 before routing, for every
 * mount kind and for upgrades, and the refusal is logged.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import * as readline from 'node:readline';
import { makeWorkspace, rawHttp, rawUpgrade, startEngine, statusOf, type RunningEngine } from './helpers';

const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n';

function attack(port: number, path: string, connection = 'keep-alive, Content-Length'): Promise<string> {
  return rawHttp(
    port,
    `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: ${connection}\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`,
  );
}

/** An upstream that records each request it parses as `path xff`. */
interface RecordingUpstream {
  readonly port: number;
  readonly seen: string[];
  /** Resolves once a request for `path` has been recorded. */
  waitFor(path: string): Promise<void>;
  close(): Promise<void>;
}

async function nodeUpstream(): Promise<RecordingUpstream> {
  const seen: string[] = [];
  const waiters: Array<() => void> = [];
  const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    seen.push(`${req.url} ${req.headers['x-forwarded-for'] ?? '-'}`);
    for (const wake of waiters.splice(0)) wake();
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    seen,
    waitFor: async (path) => {
      while (!seen.some((line) => line.startsWith(`${path} `))) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const PYTHON_UPSTREAM = `
import sys, http.server
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def do_GET(self):
        sys.stdout.write('REQ %s %s\\n' % (self.path, self.headers.get('X-Forwarded-For') or '-'))
        sys.stdout.flush()
        self.send_response(200)
        self.send_header('Content-Length', '2')
        self.end_headers()
        self.wfile.write(b'ok')
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
print('PORT %d' % server.server_address[1], flush=True)
server.serve_forever()
`;

async function pythonUpstream(): Promise<RecordingUpstream> {
  const dir = makeWorkspace({ 'upstream.py': PYTHON_UPSTREAM });
  // Debian's Python: the one first on PATH may be another build; the standard library is all this needs.
  const child: ChildProcess = spawn('/usr/bin/python3', ['-u', 'upstream.py'], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
  const seen: string[] = [];
  const waiters: Array<() => void> = [];
  const lines = readline.createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the Python upstream exited with ${code} before printing its port`)));
    lines.on('line', (line) => {
      const portMatch = /^PORT (\d+)$/.exec(line);
      if (portMatch) resolve(Number(portMatch[1]));
      else if (line.startsWith('REQ ')) {
        seen.push(line.slice(4));
        for (const wake of waiters.splice(0)) wake();
      }
    });
  });
  return {
    port,
    seen,
    waitFor: async (path) => {
      while (!seen.some((line) => line.startsWith(`${path} `))) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

describe('issue: Connection naming Content-Length smuggled a second request past the proxy', () => {
  for (const [label, start] of [['node:http', nodeUpstream], ['Python http.server (HTTP/1.1)', pythonUpstream]] as const) {
    describe(`through a proxy mount to a ${label} upstream`, () => {
      let upstream: RecordingUpstream;
      let server: RunningEngine;
      before(async () => {
        upstream = await start();
        server = await startEngine({ mounts: [{ prefix: '/api', proxy: `http://127.0.0.1:${upstream.port}` }] });
      });
      after(async () => {
        await server?.stop();
        await upstream?.close();
      });

      it('is refused with 400; exactly one request (the sentinel after it) reaches the upstream, and 6.6.6.6 never does', async () => {
        const raw = await attack(server.port, '/api/attack');
        assert.equal(statusOf(raw), 400, `the smuggling request was not refused: ${raw}`);
        assert.match(raw, /\r\nConnection: close\r\n[^]*The Connection header may not name Content-Length/);
        // A later request on another connection: once the upstream has seen it, anything the attack
        // sent on its own connection has been parsed too.
        const sentinel = await rawHttp(server.port, 'GET /api/sentinel HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
        assert.equal(statusOf(sentinel), 200, sentinel);
        await upstream.waitFor('/sentinel');
        assert.deepEqual(upstream.seen, ['/sentinel 127.0.0.1'], `the upstream saw more than the sentinel: ${JSON.stringify(upstream.seen)}`);
      });

      it('the refusal is logged', () => {
        assert.ok(
          server.logs.some((line) => line.startsWith('warn') && line.includes('/api/attack') && /Connection/.test(line)),
          `no warning names the refused request: ${server.logs.join('\n')}`,
        );
      });
    });
  }

  describe('every mount kind and upgrades', () => {
    let server: RunningEngine;
    before(async () => {
      server = await startEngine(
        {
          mounts: [
            { prefix: '/m', module: 'app.js' },
            { prefix: '/s', static: 'www' },
            { prefix: '/p', proxy: 'http://127.0.0.1:9' },
            { prefix: '/c', command: 'node server.js', start: 'onRequest' },
          ],
        },
        {
          'app.js': `module.exports = (req, res) => res.end('module');`,
          'www/index.html': 'static',
          'server.js': `require('node:http').createServer((req, res) => res.end('command')).listen(process.env.PORT, process.env.HOST);`,
        },
      );
    });
    after(() => server.stop());

    for (const prefix of ['/m', '/s', '/p', '/c', '/nothing']) {
      for (const named of ['Content-Length', 'transfer-encoding', 'HOST']) {
        it(`${prefix}: Connection naming ${named} is 400`, async () => {
          const raw = await attack(server.port, `${prefix}/`, `keep-alive, ${named}`);
          assert.equal(statusOf(raw), 400, raw);
        });
      }
    }

    it('an upgrade whose Connection names Content-Length is 400 and the socket is closed', async () => {
      const raw = await rawUpgrade(server.port, '/m/', { Connection: 'Upgrade, Content-Length', 'Content-Length': '0' });
      assert.equal(statusOf(raw), 400, raw);
    });

    it('ordinary Connection values are still served', async () => {
      for (const connection of ['keep-alive', 'close', 'Keep-Alive, TE', 'x-custom']) {
        const raw = await rawHttp(server.port, `GET /m/ HTTP/1.1\r\nHost: localhost\r\nConnection: ${connection}, close\r\n\r\n`);
        assert.equal(statusOf(raw), 200, `${connection}: ${raw}`);
      }
    });
  });
});
