/**
 * Regression: an ES module mount reloaded when any .json or module file in its folder tree changed,
 * including data the app writes (db.json on each POST), .vscode/settings.json, and the files a
 * static mount serves from a folder beside it.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { get, startEngine, type RunningEngine } from './helpers';

describe('issue: an ES module mount reloads for its code only', () => {
  let server: RunningEngine;

  beforeEach(async () => {
    server = await startEngine(
      {
        mounts: [
          { prefix: '/api', module: 'app/index.mjs' },
          { prefix: '/site', static: 'app/public' },
        ],
      },
      {
        'app/index.mjs': `import text from './lib/text.mjs';\nexport default (req, res) => res.end(text);\n`,
        'app/lib/text.mjs': `export default 'v1';\n`,
        'app/data.json': '{}',
        'app/.vscode/settings.json': '{}',
        'app/.cache/build.mjs': '',
        'app/public/app.js': '',
      },
    );
  });

  afterEach(() => server.stop());

  const change = (name: string, content: string) => {
    const file = path.join(server.dir, name);
    fs.writeFileSync(file, content);
    return server.engine.fileChanged(file);
  };

  it('writing data and editor settings beside the entry does not reload it', async () => {
    assert.deepEqual(await change('app/data.json', '{"posts":1}'), []);
    assert.deepEqual(await change('app/.vscode/settings.json', '{"a":1}'), []);
    assert.deepEqual(await change('app/.cache/build.mjs', 'export {};'), []);
    assert.deepEqual(await change('app/public/app.js', 'console.log(1);'), []);
    assert.ok(!server.logs.some((line) => line.includes('reloaded')), server.logs.join('\n'));
  });

  it('editing an imported .mjs still reloads it', async () => {
    assert.deepEqual(await change('app/lib/text.mjs', `export default 'v2';\n`), ['/api']);
    assert.equal((await get(`${server.origin}/api`)).body, 'v2');
  });
});
