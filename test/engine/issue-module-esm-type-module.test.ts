/**
 * Regression: a `.js` ES module under `"type": "module"` went through require(), which succeeds
 * from Node 20.19: hot reload served stale code, its imports were unknown, and a top-level await
 * failed with ERR_REQUIRE_ASYNC_MODULE.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { get, startEngine, type RunningEngine } from './helpers';

describe('issue: module mounts decide ES module or CommonJS by Node’s rules before loading', () => {
  let server: RunningEngine | undefined;

  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('a type:module app reloads when a file it imports changes', async () => {
    server = await startEngine(
      { mounts: [{ prefix: '/app', module: 'app/index.js' }] },
      {
        'package.json': JSON.stringify({ type: 'module' }),
        'app/index.js': `import text from './text.js';\nexport default (req, res) => res.end(text);\n`,
        'app/text.js': `export default 'v1';\n`,
      },
    );
    assert.equal((await get(`${server.origin}/app`)).body, 'v1');
    const dependency = path.join(server.dir, 'app/text.js');
    fs.writeFileSync(dependency, `export default 'v2';\n`);
    assert.deepEqual(await server.engine.fileChanged(dependency), ['/app']);
    assert.equal((await get(`${server.origin}/app`)).body, 'v2');
  });

  it('a type:module app with a top-level await loads', async () => {
    server = await startEngine(
      { mounts: [{ prefix: '/app', module: 'app.js' }] },
      {
        'package.json': JSON.stringify({ type: 'module' }),
        'app.js': `const text = await Promise.resolve('awaited');\nexport default (req, res) => res.end(text);\n`,
      },
    );
    assert.equal((await get(`${server.origin}/app`)).body, 'awaited');
  });

  it('a .cjs entry beside a type:module package.json is still CommonJS and reloads its requires', async () => {
    server = await startEngine(
      { mounts: [{ prefix: '/app', module: 'app.cjs' }] },
      {
        'package.json': JSON.stringify({ type: 'module' }),
        'app.cjs': `const text = require('./text.cjs');\nmodule.exports = (req, res) => res.end(text);\n`,
        'text.cjs': `module.exports = 'c1';\n`,
      },
    );
    const dependency = path.join(server.dir, 'text.cjs');
    fs.writeFileSync(dependency, `module.exports = 'c2';\n`);
    assert.deepEqual(await server.engine.fileChanged(dependency), ['/app']);
    assert.equal((await get(`${server.origin}/app`)).body, 'c2');
  });
});
