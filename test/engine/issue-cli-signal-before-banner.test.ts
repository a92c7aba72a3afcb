/**
 * Whoever reads `Mounts serving …` may stop the server at once (CI's Ctrl-C, a test's SIGTERM). A
 * signal that arrives before node listens for it ends the process with the default action: no
 * clean stop, exit by signal. The banner was written just before the handlers went in, and under
 * load a SIGTERM sent on reading it landed in between. A preload records, at the moment the banner
 * is written, whether SIGINT and SIGTERM are handled yet.
 */
import assert from 'node:assert/strict';
import { runCli, waitFor } from './cliProcess';
import { makeWorkspace } from './helpers';

const PRELOAD = `
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, ...rest) => {
  if (String(chunk).startsWith('Mounts serving ')) {
    process.stderr.write('handled at the banner: SIGINT ' + process.listenerCount('SIGINT') + ' SIGTERM ' + process.listenerCount('SIGTERM') + '\\n');
  }
  return write(chunk, ...rest);
};
`;

describe('issue: the CLI handles SIGINT and SIGTERM by the time it prints its banner', function () {
  this.timeout(30_000);

  it('has its signal handlers in place when "Mounts serving" is written, and stops cleanly on the first SIGTERM', async () => {
    const dir = makeWorkspace({ 'mounts.json': JSON.stringify({ port: 0, mounts: [{ prefix: '/', static: 'site' }] }), 'site/index.html': 'home', 'preload.js': PRELOAD });
    const cli = runCli(['serve', dir], { env: { ...process.env, NODE_OPTIONS: `--require ${dir}/preload.js` } });
    try {
      await waitFor('the banner', () => /Mounts serving http:\/\/localhost:\d+\//.test(cli.stdout));
      assert.match(cli.stderr, /handled at the banner: SIGINT 1 SIGTERM 1\n/);
    } finally {
      cli.child.kill('SIGTERM');
      assert.equal(await cli.exited, 0, cli.stderr);
    }
  });
});
