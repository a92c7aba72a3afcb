/**
 * The benchmark's temp workspace: the one handler every server runs, the files served, 100 app
 * modules for the start-up measurement, and one mounts.json per engine configuration.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The same handler for bare node:http, Express and the engine's module mount. */
const HELLO = `module.exports = function hello(req, res) {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '11' });
  res.end('hello world');
};
`;

export const HELLO_BODY = 'hello world';

const HELLO_WSGI = `def app(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', '11')])
    return [b'hello world']
`;

/**
 * The baseline: cheroot's WSGI server with PathInfoDispatcher, set up as Mounts' runner sets up its
 * cheroot (16 threads, a listen backlog of 128, 256 idle keep-alive connections): with cheroot's
 * defaults (backlog 5, 10 idle connections) wrk's 64 connections get timeouts from cheroot alone.
 */
const CHEROOT_HELLO = `from cheroot import wsgi
import hello_wsgi

server = wsgi.Server(('127.0.0.1', 0), wsgi.PathInfoDispatcher({'/hello': hello_wsgi.app}), numthreads=16, request_queue_size=128)
server.keep_alive_conn_limit = 256
server.prepare()
print('READY %d' % server.bind_addr[1], flush=True)
server.serve()
`;

/** Debian's Python, which has cheroot (the first python3 on the PATH may not). */
export const BENCH_PYTHON = '/usr/bin/python3';
export const STATIC_FILES = { '1k.bin': 1024, '1m.bin': 1024 * 1024 } as const;
/** HTML pages of exactly these sizes, for the live reload rows (a script goes into their <head>). */
export const HTML_FILES = { '1k.html': 1024, '1m.html': 1024 * 1024 } as const;

export interface Workspace {
  readonly dir: string;
  readonly handler: string;
  readonly files: string;
  /** Writes `<name>.json` holding `config` and returns its path. */
  config(name: string, config: object): string;
  remove(): void;
}

export function createWorkspace(): Workspace {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mounts-bench-')));
  // nginx workers run as another user when the bench runs as root: they must read the files.
  fs.chmodSync(dir, 0o755);
  const handler = path.join(dir, 'hello.js');
  fs.writeFileSync(handler, HELLO);
  const files = path.join(dir, 'files');
  fs.mkdirSync(files, { mode: 0o755 });
  for (const [name, size] of Object.entries(STATIC_FILES)) {
    const content = Buffer.alloc(size);
    for (let i = 0; i < size; i++) content[i] = 97 + (i % 26);
    fs.writeFileSync(path.join(files, name), content, { mode: 0o644 });
  }
  // The Python side of the wsgi group: the same hello app, and cheroot's own server for it.
  fs.writeFileSync(path.join(dir, 'hello_wsgi.py'), HELLO_WSGI);
  fs.writeFileSync(path.join(dir, 'cheroot_hello.py'), CHEROOT_HELLO);
  fs.copyFileSync(path.join(__dirname, '..', '..', 'examples', 'python', 'blog.py'), path.join(dir, 'blog.py'));
  for (const [name, size] of Object.entries(HTML_FILES)) {
    const head = '<!DOCTYPE html>\n<html>\n<head>\n<title>page</title>\n</head>\n<body>\n<p>';
    const tail = '</p>\n</body>\n</html>\n';
    fs.writeFileSync(path.join(files, name), head + 'x'.repeat(size - head.length - tail.length) + tail, { mode: 0o644 });
  }
  const modules = path.join(dir, 'apps');
  fs.mkdirSync(modules);
  for (let i = 0; i < 100; i++) fs.writeFileSync(path.join(modules, `app${i}.js`), HELLO);
  return {
    dir,
    handler,
    files,
    config(name, config) {
      const file = path.join(dir, `${name}.json`);
      fs.writeFileSync(file, JSON.stringify({ port: 0, ...config }));
      return file;
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** `count` module mounts `/m0` … of the hello handler. */
export function moduleMounts(count: number): object[] {
  return Array.from({ length: count }, (_, i) => ({ prefix: `/m${i}`, module: 'hello.js' }));
}
