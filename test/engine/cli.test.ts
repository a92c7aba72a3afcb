/** The CLI as a user runs it: the bundled dist/cli.js in a real child process. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { CLI, runCli, servingPort, waitFor } from './cliProcess';
import { get, isListening, makeWorkspace } from './helpers';

describe('cli', function () {
  this.timeout(30_000);
  before(function () {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  });

  it('runs as an executable, as package.json\'s "bin" does', async () => {
    const child = spawn(CLI, ['--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(code, 0);
    assert.match(stdout, /mounts \[serve\] \[PATH\]/);
  });

  it('serves a folder, prints the URL and the mounts, stops on SIGINT with exit 0', async () => {
    const dir = makeWorkspace({
      'mounts.json': JSON.stringify({ mounts: [{ prefix: '/hello', name: 'hello', module: 'hello.js' }, { prefix: '/', static: 'site' }] }),
      'hello.js': `module.exports = (req, res) => res.end('hi from ' + req.baseUrl);`,
      'site/index.html': 'home',
    });
    const cli = runCli(['serve', dir, '--port', '0']);
    await waitFor('the URL', () => servingPort(cli.stdout) > 0);
    const port = servingPort(cli.stdout);
    assert.match(cli.stdout, new RegExp(`http://localhost:${port}/hello/\\s+module\\s+hello\\s+${dir.replace(/[/.]/g, '\\$&')}/hello\\.js`));
    assert.equal((await get(`http://127.0.0.1:${port}/hello/x`)).body, 'hi from /hello');
    assert.equal((await get(`http://127.0.0.1:${port}/`)).body, 'home');
    await waitFor('the access log line', () => cli.stdout.includes('GET /hello/x -> hello 200'));
    cli.child.kill('SIGINT');
    assert.equal(await cli.exited, 0);
    assert.equal(await isListening(port), false);
  });

  it('adds the live reload script to pages by default, and not with --no-live-reload', async () => {
    const dir = makeWorkspace({ 'mounts.json': JSON.stringify({ mounts: [{ prefix: '/', static: 'site' }] }), 'site/index.html': '<html><head></head></html>' });
    const navigation = { headers: { 'Sec-Fetch-Dest': 'document', Accept: 'text/html' } };
    for (const [args, expected] of [[[], '<html><head><script src="/__mounts/live.js" async="" data-mount="/"></script></head></html>'], [['--no-live-reload'], '<html><head></head></html>']] as const) {
      const cli = runCli(['serve', dir, '--port', '0', ...args]);
      await waitFor('the URL', () => servingPort(cli.stdout) > 0);
      assert.equal((await get(`http://127.0.0.1:${servingPort(cli.stdout)}/`, navigation)).body, expected, args.join(' '));
      cli.child.kill('SIGINT');
      assert.equal(await cli.exited, 0);
    }
  });

  it('exits 2 with every problem of an invalid mounts.json on stderr', async () => {
    const dir = makeWorkspace({ 'mounts.json': '{\n  "mounts": [\n    { "prefix": "blog", "module": "a.js" },\n    { "prefix": "/x" }\n  ]\n}\n' });
    const cli = runCli([path.join(dir, 'mounts.json')]);
    assert.equal(await cli.exited, 2);
    assert.match(cli.stderr, /mounts\.json:3:/);
    assert.match(cli.stderr, /mounts\.json:4:/);
  });

  it('exits 2 when apps cannot load, naming each one\'s line and field in mounts.json', async () => {
    const config = `{\n  "port": 0,\n  "mounts": [\n    { "prefix": "/x", "module": "x.js" },\n    { "prefix": "/s", "static": "nope" },\n    { "prefix": "/m", "module": "missing.js" }\n  ]\n}\n`;
    const dir = makeWorkspace({ 'mounts.json': config, 'x.js': 'module.exports = 7;' });
    const cli = runCli([], { cwd: dir });
    assert.equal(await cli.exited, 2);
    assert.match(cli.stderr, /^mounts\.json:4:5: mounts\[0\]\.module "\/x": module .*x\.js exports a number/m);
    assert.match(cli.stderr, /^mounts\.json:5:5: mounts\[1\]\.static "\/s": folder .*nope does not exist$/m);
    assert.match(cli.stderr, /^mounts\.json:6:5: mounts\[2\]\.module "\/m": module .*missing\.js does not exist$/m);
    assert.doesNotMatch(cli.stderr, /Require stack/);
  });

  it('exits 1 with a clear message when the port is in use', async () => {
    const blocker = http.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const dir = makeWorkspace({ 'mounts.json': JSON.stringify({ port, mounts: [] }) });
      const cli = runCli([dir]);
      assert.equal(await cli.exited, 1);
      assert.match(cli.stderr, new RegExp(`port ${port} is in use`));
    } finally {
      blocker.close();
    }
  });

  it('exits 64 on bad arguments', async () => {
    assert.equal(await runCli(['--port', 'abc']).exited, 64);
    assert.equal(await runCli(['--nope']).exited, 64);
  });

  it('--watch applies mounts.json edits and hot-reloads module files', async () => {
    const dir = makeWorkspace({
      'mounts.json': JSON.stringify({ port: 0, mounts: [{ prefix: '/a', module: 'a.js' }] }),
      'a.js': `module.exports = (req, res) => res.end('a1');`,
      'b.js': `module.exports = (req, res) => res.end('b');`,
    });
    const cli = runCli([dir, '--watch', '--quiet']);
    try {
      await waitFor('the URL', () => servingPort(cli.stdout) > 0);
      const origin = `http://127.0.0.1:${servingPort(cli.stdout)}`;
      fs.writeFileSync(path.join(dir, 'a.js'), `module.exports = (req, res) => res.end('a2');`);
      await waitForBody(`${origin}/a`, 'a2');
      fs.writeFileSync(path.join(dir, 'mounts.json'), JSON.stringify({ port: 0, mounts: [{ prefix: '/a', module: 'a.js' }, { prefix: '/b', module: 'b.js' }] }));
      await waitForBody(`${origin}/b`, 'b');
      fs.writeFileSync(path.join(dir, 'mounts.json'), '{ "mounts": [ { "prefix": "nope" } ] }');
      await waitFor('the rejected edit to be reported', () => cli.stderr.includes('not applied'));
      assert.equal((await get(`${origin}/b`)).body, 'b', 'the previous mounts keep serving');
    } finally {
      cli.child.kill('SIGTERM');
      assert.equal(await cli.exited, 0);
    }
  });
});

async function waitForBody(url: string, body: string, ms = 10_000): Promise<void> {
  let last = '';
  await waitFor(() => `${url} to answer "${body}" (it answered "${last}")`, async () => (last = (await get(url)).body) === body, ms);
}
