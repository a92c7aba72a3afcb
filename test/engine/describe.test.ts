import assert from 'node:assert/strict';
import * as path from 'node:path';
import { parseConfig } from '../../src/engine/config';
import { describeTarget } from '../../src/engine/describe';

describe('describe: a mount target for people (describe.ts)', () => {
  const dir = path.resolve('workspace');
  const { config } = parseConfig(
    JSON.stringify({
      mounts: [
        { prefix: '/a', module: 'apps/a.js#router' },
        { prefix: '/', static: '.' },
        { prefix: '/docs', static: 'site/docs' },
        { prefix: '/api', proxy: 'http://127.0.0.1:9' },
        { prefix: '/web', command: 'npm run dev' },
      ],
    }),
    path.join(dir, 'mounts.json'),
  );
  const specs = config!.mounts;

  it('shows paths relative to a folder when given one (the editor)', () => {
    assert.deepEqual(
      specs.map((spec) => describeTarget(spec, dir)),
      [path.join('apps', 'a.js') + '#router', './', `${path.join('site', 'docs')}/`, 'http://127.0.0.1:9', 'npm run dev'],
    );
  });

  it('shows absolute paths otherwise (the terminal)', () => {
    assert.deepEqual(
      specs.map((spec) => describeTarget(spec)).slice(0, 3),
      [path.join(dir, 'apps', 'a.js') + '#router', `${dir}/`, `${path.join(dir, 'site', 'docs')}/`],
    );
  });
});
