/**
 * Bound to 0.0.0.0 or ::, every app is served to the network: the CLI warns, and shows the
 * addresses other machines reach it at (this machine's interfaces), not only http://localhost.
 */
import assert from 'node:assert/strict';
import * as os from 'node:os';
import { runCli, waitFor } from './cliProcess';
import { makeWorkspace, request } from './helpers';

/** This machine's addresses other hosts can use for `bound`, read here independently of the engine. */
function expectedAddresses(bound: string): string[] {
  return Object.values(os.networkInterfaces())
    .flat()
    .filter((info) => info !== undefined && !info.internal && (info.family === 'IPv4' || (bound === '::' && !info.address.startsWith('fe80:'))))
    .map((info) => (info!.family === 'IPv6' ? `[${info!.address}]` : info!.address));
}

describe('binding to every interface', function () {
  this.timeout(30_000);

  for (const bound of ['0.0.0.0', '::']) {
    it(`--host ${bound} warns that the apps are reachable from the network and lists the addresses, each of which answers`, async () => {
      const dir = makeWorkspace({ 'mounts.json': JSON.stringify({ port: 0, mounts: [{ prefix: '/', static: 'site' }] }), 'site/index.html': 'home' });
      const cli = runCli(['serve', dir, '--host', bound]);
      try {
        await waitFor('the banner', () => /Mounts serving http:\/\/localhost:\d+\//.test(cli.stdout) && cli.stdout.includes('\n  http'));
        const port = Number(/Mounts serving http:\/\/localhost:(\d+)\//.exec(cli.stdout)![1]);
        assert.match(cli.stderr, new RegExp(`warning: listening on every network interface \\(${bound.replace(/\./g, '\\.')}\\): the apps are reachable from the network`));
        const addresses = expectedAddresses(bound);
        assert.ok(addresses.length > 0, 'this test needs a network interface besides loopback');
        await waitFor('the network addresses in the banner', () => cli.stdout.includes('Reachable from the network at'));
        for (const address of addresses) {
          const url = `http://${address}:${port}/`;
          assert.ok(cli.stdout.includes(url), `${url} missing from:\n${cli.stdout}`);
          assert.ok(cli.stderr.includes(url), `${url} missing from the warning:\n${cli.stderr}`);
          // Any client but a browser names the Host it likes: the allowlist does not keep the apps in.
          const answer = await request({ host: address.replace(/^\[|\]$/g, ''), port, path: '/', headers: { Host: 'localhost' } });
          assert.equal(answer.body, 'home', url);
        }
      } finally {
        cli.child.kill('SIGTERM');
        assert.equal(await cli.exited, 0);
      }
    });
  }

  it('says nothing of the network when bound to loopback', async () => {
    const dir = makeWorkspace({ 'mounts.json': JSON.stringify({ port: 0, mounts: [{ prefix: '/', static: 'site' }] }), 'site/index.html': 'home' });
    const cli = runCli(['serve', dir]);
    try {
      // The warning comes before the banner, so the banner is the sentinel for its absence.
      await waitFor('the banner', () => /Mounts serving http:\/\/localhost:\d+\//.test(cli.stdout));
      assert.doesNotMatch(cli.stderr + cli.stdout, /network/);
    } finally {
      cli.child.kill('SIGTERM');
      assert.equal(await cli.exited, 0);
    }
  });
});
