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
