/**
 * Regression: after a reload that applied most of mounts.json but could not load one mount, the CLI
 * said "mounts.json not applied; still serving the previous mounts", which was untrue: the other
 * changes were live. It now says the file was applied except for the mounts that could not load.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { get, makeWorkspace } from './helpers';
import { runCli, servingPort, waitFor } from './cliProcess';

describe('issue: a partly applied reload was reported as not applied', function () {
  this.timeout(30_000);

  it('says what was applied and which mount did not load; an invalid file is still "not applied"', async () => {
    const app = `module.exports = (req, res) => res.end('ok');`;
    const dir = makeWorkspace({ 'mounts.json': JSON.stringify({ port: 0, mounts: [{ prefix: '/a', module: 'a.js' }] }), 'a.js': app });
    const cli = runCli([dir, '--watch']);
    try {
      await waitFor(`the "Watching" line; stderr: ${cli.stderr}`, () => /Watching .* for changes/.test(cli.stdout));
      const port = servingPort(cli.stdout);
      fs.writeFileSync(path.join(dir, 'mounts.json'), JSON.stringify({ port: 0, mounts: [{ prefix: '/a', module: 'a.js' }, { prefix: '/b', module: 'a.js' }, { prefix: '/missing', module: 'missing.js' }] }));
      await waitFor(`the load failure of missing.js on stderr; got: ${cli.stderr}`, () => cli.stderr.includes('missing.js'));
      assert.match(cli.stderr, /mounts\.json applied, except for this mount, which could not load[^\n]*:\n\S*mounts\.json:\d+:\d+: mounts\[2\]\.module "\/missing"/);
      assert.doesNotMatch(cli.stderr, /not applied/);
      assert.equal((await get(`http://127.0.0.1:${port}/b/`)).body, 'ok', 'the added mount that loaded is served, as the message says');
      fs.writeFileSync(path.join(dir, 'mounts.json'), '{"mounts": [');
      await waitFor(`the invalid file's message; got: ${cli.stderr}`, () => cli.stderr.includes('not applied'));
      assert.match(cli.stderr, /mounts\.json not applied; still serving the previous mounts:\n\S*mounts\.json:1:\d+: syntax error/);
    } finally {
      cli.child.kill('SIGINT');
      await cli.exited;
    }
  });
});
