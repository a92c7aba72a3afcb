/**
 * Regression: hot reload of one CommonJS module mount evicted every workspace module from the
 * require cache, so other mounts lost track of what they required and never reloaded again.
 * Also: an export's close(), promise or callback style, is awaited on reload and stop, bounded.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { get, startEngine, type RunningEngine } from './helpers';

const TEXT = (text: string) => `module.exports = ${JSON.stringify(text)};`;

async function body(server: RunningEngine, prefix: string): Promise<string> {
  return (await get(`${server.origin}${prefix}`)).body;
}

/** Edits `name` in the workspace and tells the engine; returns the mounts that reloaded, sorted. */
async function edit(server: RunningEngine, name: string, content: string): Promise<string[]> {
  const file = path.join(server.dir, name);
  fs.writeFileSync(file, content);
  return (await server.engine.fileChanged(file)).sort();
}

describe('module hot reload: each mount evicts and watches only its own files', () => {
  let server: RunningEngine;

  beforeEach(async () => {
    server = await startEngine(
      { mounts: [{ prefix: '/a', module: 'apps/a.js' }, { prefix: '/b', module: 'apps/b.js' }] },
      {
        // The required files are outside the entries' folder, where no guess would find them.
        'apps/a.js': `const h = require('../lib/ha'); const s = require('../lib/shared'); module.exports = (req, res) => res.end(h + ' ' + s);`,
        'apps/b.js': `const h = require('../lib/hb'); const s = require('../lib/shared'); module.exports = (req, res) => res.end(h + ' ' + s);`,
        'lib/ha.js': TEXT('a1'),
        'lib/hb.js': TEXT('b1'),
        'lib/shared.js': TEXT('s1'),
      },
    );
  });

  afterEach(() => server.stop());

  it('alternate edits to each mount’s own file reload that mount, every time', async () => {
    assert.deepEqual(await edit(server, 'lib/ha.js', TEXT('a2')), ['/a']);
    assert.equal(await body(server, '/a'), 'a2 s1');
    assert.deepEqual(await edit(server, 'lib/hb.js', TEXT('b2')), ['/b'], 'b still knows it required hb.js');
    assert.equal(await body(server, '/b'), 'b2 s1');
    assert.deepEqual(await edit(server, 'lib/ha.js', TEXT('a3')), ['/a']);
    assert.deepEqual(await edit(server, 'lib/hb.js', TEXT('b3')), ['/b']);
    assert.equal(await body(server, '/a'), 'a3 s1');
    assert.equal(await body(server, '/b'), 'b3 s1');
  });

  it('an edit to a module both mounts required reloads both, and again after either reloaded alone', async () => {
    assert.deepEqual(await edit(server, 'lib/shared.js', TEXT('s2')), ['/a', '/b']);
    assert.equal(await body(server, '/a'), 'a1 s2');
    assert.equal(await body(server, '/b'), 'b1 s2');
    assert.deepEqual(await edit(server, 'lib/ha.js', TEXT('a2')), ['/a']);
    assert.deepEqual(await edit(server, 'lib/shared.js', TEXT('s3')), ['/a', '/b']);
    assert.equal(await body(server, '/a'), 'a2 s3');
    assert.equal(await body(server, '/b'), 'b1 s3');
  });

  it('a file an edit starts requiring, even lazily in a handler, is watched from then on; one it stops requiring is not', async () => {
    fs.writeFileSync(path.join(server.dir, 'lib/extra.js'), TEXT('x1'));
    assert.deepEqual(await edit(server, 'apps/a.js', `module.exports = (req, res) => res.end(require('../lib/extra'));`), ['/a']);
    assert.equal(await body(server, '/a'), 'x1');
    assert.deepEqual(await edit(server, 'lib/extra.js', TEXT('x2')), ['/a']);
    assert.equal(await body(server, '/a'), 'x2');
    assert.deepEqual(await edit(server, 'lib/ha.js', TEXT('a2')), [], 'a no longer requires ha.js');
  });

  it('after a broken edit to a required file, fixing it reloads the mount', async () => {
    assert.deepEqual(await edit(server, 'lib/ha.js', 'module.exports = ;'), ['/a']);
    assert.equal(await body(server, '/a'), 'a1 s1', 'the previous version keeps serving');
    assert.deepEqual(await edit(server, 'lib/hb.js', TEXT('b2')), ['/b'], 'the other mount is untouched');
    assert.equal(await body(server, '/b'), 'b2 s1');
    assert.deepEqual(await edit(server, 'lib/ha.js', TEXT('a2')), ['/a']);
    assert.equal(await body(server, '/a'), 'a2 s1');
    assert.equal(server.engine.mounts().find((mount) => mount.id === '/a')?.status.state, 'ready');
  });

  it('a new file required by an edit that failed to load is watched until a reload succeeds', async () => {
    // In no require graph, it counts while the mount is broken because it is beside the entry.
    fs.writeFileSync(path.join(server.dir, 'apps/broken.js'), 'module.exports = ;');
    assert.deepEqual(await edit(server, 'apps/a.js', `const text = require('./broken'); module.exports = (req, res) => res.end(text);`), ['/a']);
    assert.equal(await body(server, '/a'), 'a1 s1');
    assert.deepEqual(await edit(server, 'apps/broken.js', TEXT('fixed')), ['/a']);
    assert.equal(await body(server, '/a'), 'fixed');
  });

  it('reloading an ES module mount leaves CommonJS mounts watching their files', async () => {
    server.writeConfig({ mounts: [{ prefix: '/a', module: 'apps/a.js' }, { prefix: '/b', module: 'apps/b.js' }, { prefix: '/e', module: 'esm/e.mjs' }] });
    fs.mkdirSync(path.join(server.dir, 'esm'));
    fs.writeFileSync(path.join(server.dir, 'esm/e.mjs'), `export default (req, res) => res.end('e1');`);
    assert.equal((await server.engine.reload()).ok, true);
    assert.deepEqual(await edit(server, 'esm/e.mjs', `export default (req, res) => res.end('e2');`), ['/e']);
    assert.equal(await body(server, '/e'), 'e2');
    assert.deepEqual(await edit(server, 'lib/hb.js', TEXT('b2')), ['/b']);
    assert.equal(await body(server, '/b'), 'b2 s1');
  });
});

describe('module close(): awaited on reload and stop, in either style', () => {
  /** A module whose close() (in `style`) takes 50 ms, then appends `closed <version>` to closed.log. */
  const closing = (version: string, style: 'promise' | 'callback' | 'never') => {
    const finish = `require('fs').appendFileSync(require('path').join(__dirname, 'closed.log'), 'closed ${version}\\n')`;
    const close = {
      promise: `async () => { await new Promise((r) => setTimeout(r, 50)); ${finish}; }`,
      callback: `(callback) => { setTimeout(() => { ${finish}; callback(); }, 50); }`,
      never: `(callback) => {}`,
    }[style];
    return `const h = (req, res) => res.end('${version}'); h.close = ${close}; module.exports = h;`;
  };
  const closedLog = (server: RunningEngine) => {
    const file = path.join(server.dir, 'closed.log');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  };

  for (const style of ['promise', 'callback'] as const) {
    it(`${style === 'promise' ? 'close() returning a promise' : 'close(callback) calling back'} is awaited`, async () => {
      const server = await startEngine({ mounts: [{ prefix: '/c', module: 'c.js' }] }, { 'c.js': closing('v1', style) });
      try {
        assert.deepEqual(await edit(server, 'c.js', closing('v2', style)), ['/c']);
        assert.equal(closedLog(server), 'closed v1\n', 'the previous version closed before the reload resolved');
        assert.equal(await body(server, '/c'), 'v2');
        await server.engine.stop();
        assert.equal(closedLog(server), 'closed v1\nclosed v2\n', 'closed before stop() resolved');
      } finally {
        await server.stop();
      }
    });
  }

  it('an ES module’s close() exported beside its default export is awaited', async () => {
    const server = await startEngine({ mounts: [{ prefix: '/e', module: 'e.mjs' }] }, {
      'e.mjs': `import fs from 'node:fs';
        export default (req, res) => res.end('e');
        export async function close() { await new Promise((r) => setTimeout(r, 50)); fs.writeFileSync(new URL('./closed.log', import.meta.url), 'closed e\\n'); }`,
    });
    try {
      await server.engine.stop();
      assert.equal(closedLog(server), 'closed e\n');
    } finally {
      await server.stop();
    }
  });

  it('a close(callback) that never calls back is given up on after the timeout, with a warning', async () => {
    const server = await startEngine({ mounts: [{ prefix: '/c', module: 'c.js', name: 'stuck' }] }, { 'c.js': closing('v1', 'never') }, { moduleTimeouts: { closeMs: 200 } });
    try {
      const started = Date.now();
      await server.engine.stop();
      assert.ok(Date.now() - started < 3000, 'stop() did not wait for the callback forever');
      assert.ok(
        server.logs.some((line) => /^warn stuck close\(\) did not finish within 0\.2 s/.test(line)),
        server.logs.join('\n'),
      );
    } finally {
      await server.stop();
    }
  });
});
