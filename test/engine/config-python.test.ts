/** mounts.json's wsgi and asgi mounts: defaults, every field, and each validation message at its place. */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { formatProblem, parseConfig } from '../../src/engine/config';

const FILE = 'mounts.json';
const DIR = process.cwd();

/** The mount on line 2 from column 3. */
function mountProblems(mount: string): string[] {
  const result = parseConfig(`{"mounts": [\n  ${mount}\n]}`, FILE);
  assert.equal(result.config, undefined, 'no config when there are problems');
  return result.problems.map(formatProblem);
}

describe('config: wsgi and asgi mounts', () => {
  it('fills in defaults: cwd is the folder of mounts.json, reload on, no python of its own', () => {
    const { config, problems } = parseConfig('{"mounts": [{"prefix": "/blog", "wsgi": "blog:blog"}]}', 'site/mounts.json');
    assert.deepEqual(problems, []);
    const [m] = config!.mounts;
    assert.deepEqual(m, {
      index: 0,
      prefix: '/blog',
      name: '/blog',
      range: m.range,
      kind: 'wsgi',
      liveReload: true,
      app: 'blog:blog',
      cwd: path.join(DIR, 'site'),
      env: {},
      reload: true,
      readyTimeout: 30,
      restart: 'on-failure',
      start: 'eager',
      idleTimeout: 300,
      timeout: 60,
    });
  });

  it('keeps every field given: a python path resolves against the folder, a bare name stays a name', () => {
    const text = `{"mounts": [
      { "prefix": "/api", "asgi": "pkg.main:create_app()", "python": ".venv/bin/python", "cwd": "svc", "env": { "A": "1" },
        "reload": false, "readyTimeout": 5, "restart": "always", "start": "onRequest", "idleTimeout": 9, "timeout": 2 },
      { "prefix": "/b", "wsgi": "app:server.wsgi_app", "python": "python3.12" }]}`;
    const { config, problems } = parseConfig(text, 'site/mounts.json');
    assert.deepEqual(problems, []);
    const [api, b] = config!.mounts;
    assert.deepEqual(api, {
      index: 0,
      prefix: '/api',
      name: '/api',
      range: api.range,
      kind: 'asgi',
      liveReload: true,
      app: 'pkg.main:create_app()',
      python: path.join(DIR, 'site/.venv/bin/python'),
      cwd: path.join(DIR, 'site/svc'),
      env: { A: '1' },
      reload: false,
      readyTimeout: 5,
      restart: 'always',
      start: 'onRequest',
      idleTimeout: 9,
      timeout: 2,
    });
    assert.equal(b.kind === 'wsgi' && b.python, 'python3.12');
    assert.equal(b.kind === 'wsgi' && b.app, 'app:server.wsgi_app');
  });

  it('rejects an app without ":", suggesting the module:attribute form', () => {
    assert.deepEqual(mountProblems('{ "prefix": "/b", "wsgi": "blog" }'), [
      'mounts.json:2:29: mounts[0].wsgi "blog" must be "module:attribute", like "blog:app"',
    ]);
  });

  it('rejects a file name, suggesting the dotted module name', () => {
    assert.deepEqual(mountProblems('{ "prefix": "/b", "asgi": "api/main.py:app" }'), [
      'mounts.json:2:29: mounts[0].asgi "api/main.py:app" names a file; write the module\'s dotted name, like "api.main:app"',
    ]);
  });

  it('rejects an invalid module name', () => {
    assert.deepEqual(mountProblems('{ "prefix": "/b", "wsgi": "my-blog:app" }'), [
      'mounts.json:2:29: mounts[0].wsgi "my-blog:app" has an invalid module name "my-blog"; write a dotted Python module path, like "pkg.app"',
    ]);
  });

  it('rejects an invalid attribute, saying what a factory looks like', () => {
    assert.deepEqual(mountProblems('{ "prefix": "/b", "wsgi": "blog:make(1)" }'), [
      'mounts.json:2:29: mounts[0].wsgi "blog:make(1)" has an invalid attribute "make(1)"; write an attribute, like "app", or a factory called with no arguments, like "create_app()"',
    ]);
    assert.deepEqual(mountProblems('{ "prefix": "/b", "wsgi": "blog:" }'), [
      'mounts.json:2:29: mounts[0].wsgi "blog:" has an invalid attribute ""; write an attribute, like "app", or a factory called with no arguments, like "create_app()"',
    ]);
  });

  it('rejects an empty app and one that is not a string', () => {
    assert.deepEqual(mountProblems('{ "prefix": "/b", "asgi": " " }'), [
      'mounts.json:2:29: mounts[0].asgi must not be empty; write "module:attribute", like "app:app"',
    ]);
    assert.deepEqual(mountProblems('{ "prefix": "/b", "asgi": 1 }'), [
      'mounts.json:2:29: mounts[0].asgi must be a string like "module:app", found number 1',
    ]);
  });

  it('rejects an empty python and one that is not a string', () => {
    assert.deepEqual(mountProblems('{ "prefix": "/b", "wsgi": "a:b", "python": "" }'), [
      'mounts.json:2:46: mounts[0].python must not be empty; leave it out to use the editor\'s or the PATH\'s python3',
    ]);
    assert.deepEqual(mountProblems('{ "prefix": "/b", "wsgi": "a:b", "python": ["python3"] }'), [
      'mounts.json:2:46: mounts[0].python must be a path or a name, like ".venv/bin/python", found array',
    ]);
  });

  it('rejects reload that is not a boolean', () => {
    assert.deepEqual(mountProblems('{ "prefix": "/b", "wsgi": "a:b", "reload": "yes" }'), [
      'mounts.json:2:46: mounts[0].reload must be true or false, found string "yes"',
    ]);
  });

  it('rejects command fields that Python mounts do not have, and Python fields on other kinds', () => {
    assert.deepEqual(mountProblems('{ "prefix": "/b", "wsgi": "a:b", "port": 5000, "stripPrefix": false }'), [
      'mounts.json:2:36: mounts[0].port belongs to command mounts, not wsgi mounts',
      'mounts.json:2:50: mounts[0].stripPrefix belongs to proxy and command mounts, not wsgi mounts',
    ]);
    assert.deepEqual(mountProblems('{ "prefix": "/b", "command": "x", "python": "python3" }'), [
      'mounts.json:2:37: mounts[0].python belongs to wsgi and asgi mounts, not command mounts',
    ]);
  });

  it('rejects both wsgi and asgi on one mount', () => {
    assert.deepEqual(mountProblems('{ "prefix": "/b", "wsgi": "a:b", "asgi": "a:c" }'), [
      'mounts.json:2:36: mounts[0] has both "wsgi" and "asgi"; a mount has exactly one of "module", "static", "proxy", "command", "wsgi" or "asgi"',
    ]);
  });
});
