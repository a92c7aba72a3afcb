/**
 * Regression: a mounts.json nested about 10 000 levels deep overflowed the parser's stack: the CLI
 * exited 1 with "Maximum call stack size exceeded" and no position, and under --watch the same
 * edit was logged as an app's unhandled rejection. Any depth is now a config problem at the
 * bracket that goes too deep: exit 2 at start, "not applied" under --watch.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseConfig } from '../../src/engine/config';
import { get, makeWorkspace } from './helpers';
import { runCli, servingPort, waitFor } from './cliProcess';

function nested(levels: number): string {
  return `{\n  "mounts": [\n    { "prefix": "/a", "static": ".", "name": ${'['.repeat(levels)}${']'.repeat(levels)} }\n  ]\n}\n`;
}

describe('issue: deeply nested mounts.json overflowed the stack', function () {
  this.timeout(30_000);

  for (const levels of [10_000, 100_000]) {
    it(`${levels} levels are one problem with its line and column`, () => {
      const { config, problems } = parseConfig(nested(levels), 'mounts.json');
      assert.equal(config, undefined);
      assert.equal(problems.length, 1, problems.map(String).join('\n'));
      // Line 3, at the first bracket past the limit.
      assert.equal(problems[0].line, 3);
      assert.match(String(problems[0]), /^mounts\.json:3:\d+: .*nested more than \d+ levels deep/);
    });
  }

  it('objects nest the same way', () => {
    const text = `{"mounts": [], "x": ${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}`;
    const { problems } = parseConfig(text, 'mounts.json');
    assert.match(String(problems[0] ?? 'no problem'), /^mounts\.json:1:\d+: .*nested more than/);
  });

  it('a reasonable depth is validated as usual', () => {
    const { problems } = parseConfig(`{"mounts": [{"prefix": "/a", "command": "x", "env": {"A": "1"}}]}`, 'mounts.json');
    assert.deepEqual(problems, []);
  });

  it('the CLI exits 2 with file:line:col', async () => {
    const dir = makeWorkspace({ 'mounts.json': nested(10_000) });
    const cli = runCli([dir, '--port', '0']);
    assert.equal(await cli.exited, 2, `${cli.stdout}\n${cli.stderr}`);
    assert.match(cli.stderr, /mounts\.json:3:\d+: .*nested more than/);
    assert.doesNotMatch(cli.stderr, /call stack/);
  });

  it('under --watch, the edit is a config problem and the previous mounts keep serving', async () => {
    const dir = makeWorkspace({ 'mounts.json': JSON.stringify({ mounts: [{ prefix: '/a', module: 'a.js' }] }), 'a.js': `module.exports = (req, res) => res.end('a');` });
    const cli = runCli([dir, '--port', '0', '--watch']);
    try {
      await waitFor('the URL', () => servingPort(cli.stdout) > 0);
      fs.writeFileSync(path.join(dir, 'mounts.json'), nested(10_000));
      await waitFor(`the nesting problem on stderr; got: ${cli.stderr}`, () => /mounts\.json:3:\d+: .*nested more than/.test(cli.stderr));
      assert.doesNotMatch(cli.stderr, /unhandled rejection|call stack/);
      assert.equal((await get(`http://127.0.0.1:${servingPort(cli.stdout)}/a/`)).body, 'a');
    } finally {
      cli.child.kill('SIGINT');
      await cli.exited;
    }
  });
});
