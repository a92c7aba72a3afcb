/**
 * Regression: an ES module mount's imports were guessed, not known: any module file in the
 * entry's own folder tree. An app at apps/forum.mjs importing ../shared/msg.mjs never reloaded when
 * msg.mjs changed, while an unrelated .mjs beside the entry reloaded it. The resolve hook now
 * records what each generation really imported, and that is what the mount watches.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { get, startEngine, type RunningEngine } from './helpers';

const FORUM = `import msg from '../shared/msg.mjs';\nexport default (req, res) => res.end(msg);\n`;
const TEXT = (text: string) => `export default ${JSON.stringify(text)};\n`;

describe('issue: an ES module mount reloads for the files it really imported', () => {
  let server: RunningEngine;

  beforeEach(async () => {
    server = await startEngine(
      {
        mounts: [
          { prefix: '/forum', module: 'apps/forum.mjs' },
          { prefix: '/board', module: 'board/index.cjs' },
        ],
      },
      {
        'apps/forum.mjs': FORUM,
        'apps/unrelated.mjs': TEXT('not imported'),
        'shared/msg.mjs': TEXT('m1'),
        'shared/other.mjs': TEXT('o1'),
        'shared/helper.cjs': `const data = require('./data.cjs');\nmodule.exports = 'helper ' + data;\n`,
        'shared/data.cjs': `module.exports = 'd1';\n`,
        'board/index.cjs': `const text = require('../shared/text.cjs');\nmodule.exports = (req, res) => res.end(text);\n`,
        'board/notes.cjs': `module.exports = 'not required';\n`,
        'shared/text.cjs': `module.exports = 'c1';\n`,
      },
    );
  });

  afterEach(() => server.stop());

  /** Writes `name` (or deletes it, for undefined) and tells the engine; the mounts that reloaded. */
  const change = async (name: string, content: string | undefined): Promise<string[]> => {
    const file = path.join(server.dir, name);
    if (content === undefined) fs.rmSync(file);
    else fs.writeFileSync(file, content);
    return (await server.engine.fileChanged(file)).sort();
  };
  const body = async (prefix: string) => (await get(`${server.origin}${prefix}`)).body;

  it('editing an import in a sibling folder reloads it, and the next request gets the new answer', async () => {
    assert.equal(await body('/forum'), 'm1');
    assert.deepEqual(await change('shared/msg.mjs', TEXT('m2')), ['/forum']);
    assert.equal(await body('/forum'), 'm2');
    assert.deepEqual(await change('shared/msg.mjs', TEXT('m3')), ['/forum'], 'the new generation knows it too');
    assert.equal(await body('/forum'), 'm3');
  });

  it('editing a module file beside the entry that it does not import does not reload it', async () => {
    assert.deepEqual(await change('apps/unrelated.mjs', TEXT('still not imported')), []);
    assert.deepEqual(await change('shared/other.mjs', TEXT('o2')), []);
    assert.ok(!server.logs.some((line) => line.includes('reloaded')), server.logs.join('\n'));
  });

  it('an import an edit adds is watched from then on, and one it drops is not', async () => {
    assert.deepEqual(await change('apps/forum.mjs', `import other from '../shared/other.mjs';\nexport default (req, res) => res.end(other);\n`), ['/forum']);
    assert.deepEqual(await change('shared/other.mjs', TEXT('o2')), ['/forum']);
    assert.equal(await body('/forum'), 'o2');
    assert.deepEqual(await change('shared/msg.mjs', TEXT('m2')), [], 'forum no longer imports msg.mjs');
  });

  it('an import a handler makes lazily is watched once it ran', async () => {
    await change('apps/forum.mjs', `export default async (req, res) => res.end((await import('../shared/other.mjs')).default);\n`);
    assert.equal(await body('/forum'), 'o1');
    assert.deepEqual(await change('shared/other.mjs', TEXT('o2')), ['/forum']);
    assert.equal(await body('/forum'), 'o2');
  });

  it('deleting an imported file fails the reload; bringing it back reloads again', async () => {
    assert.deepEqual(await change('shared/msg.mjs', undefined), ['/forum']);
    assert.equal(await body('/forum'), 'm1', 'the previous version keeps serving');
    assert.deepEqual(await change('shared/msg.mjs', TEXT('back')), ['/forum']);
    assert.equal(await body('/forum'), 'back');
  });

  it('a CommonJS file it imports, and what that file requires, reload it and run again', async () => {
    await change('apps/forum.mjs', `import text from '../shared/helper.cjs';\nexport default (req, res) => res.end(text);\n`);
    assert.equal(await body('/forum'), 'helper d1');
    assert.deepEqual(await change('shared/data.cjs', `module.exports = 'd2';\n`), ['/forum']);
    assert.equal(await body('/forum'), 'helper d2');
  });

  it('a CommonJS mount still reloads for what it required, and only that', async () => {
    assert.deepEqual(await change('shared/text.cjs', `module.exports = 'c2';\n`), ['/board']);
    assert.equal(await body('/board'), 'c2');
    assert.deepEqual(await change('board/notes.cjs', `module.exports = 'still not required';\n`), []);
  });
});
