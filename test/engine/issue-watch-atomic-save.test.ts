/**
 * Regression: `mounts --watch` went deaf after one atomic save. Once mounts.json (or a module file)
 * was replaced by a rename, as vim, `sed -i`, editors' safe write and `git checkout` do, no later
 * change of that file was seen, with no message: Node's recursive fs.watch on Linux drops the
 * renamed inode. The CLI now watches with @parcel/watcher; every save below must be seen.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { makeWorkspace } from './helpers';
import { runCli, servingPort, waitFor, type CliRun } from './cliProcess';

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

function fetchText(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** The way vim and editors' safe write save: a new file renamed over the old one. */
function atomicWrite(file: string, content: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, content);
  fs.renameSync(temporary, file);
}

/** Requests `urlPath` until it answers `expected`; fails naming the last answer. */
async function until(port: number, urlPath: string, expected: string, what: string, ms = 10_000): Promise<void> {
  let last = '';
  await waitFor(() => `${what}: ${urlPath} still answers ${last}`, async () => {
    const response = await fetchText(port, urlPath).catch((error: Error) => ({ status: 0, body: error.message }));
    last = `${response.status} ${response.body}`;
    return response.status === 200 && response.body === expected;
  }, ms);
}

const moduleText = (text: string) => `module.exports = (req, res) => res.end(${JSON.stringify(text)});`;

describe('issue: --watch went deaf after one atomic save', function () {
  this.timeout(120_000);
  let dir: string;
  let cli: CliRun;
  let port: number;
  const config = (extra: string) =>
    JSON.stringify({ port: 0, mounts: [{ prefix: '/a', module: 'lib/a.js' }, { prefix: '/stable', module: 'stable.js' }, { prefix: `/${extra}`, module: 'stable.js' }] });

  before(async () => {
    dir = makeWorkspace({ 'mounts.json': config('v0'), 'lib/a.js': moduleText('a0'), 'stable.js': moduleText('stable') });
    cli = runCli([dir, '--watch']);
    await waitFor(`the "Watching" line; stdout: ${cli.stdout} stderr: ${cli.stderr}`, () => /Watching .* for changes/.test(cli.stdout));
    port = servingPort(cli.stdout);
  });
  after(async () => {
    cli.child.kill('SIGINT');
    await cli.exited;
    agent.destroy();
  });

  it('sees each of 10 atomic saves of mounts.json, then an in-place write', async () => {
    for (let i = 1; i <= 10; i++) {
      atomicWrite(path.join(dir, 'mounts.json'), config(`v${i}`));
      await until(port, `/v${i}/`, 'stable', `atomic save ${i} of mounts.json`);
    }
    fs.writeFileSync(path.join(dir, 'mounts.json'), config('inplace'));
    await until(port, '/inplace/', 'stable', 'the in-place write after the atomic saves');
  });

  it('sees each of 10 atomic saves of a module file, then an in-place write', async () => {
    for (let i = 1; i <= 10; i++) {
      atomicWrite(path.join(dir, 'lib/a.js'), moduleText(`a${i}`));
      await until(port, '/a/', `a${i}`, `atomic save ${i} of lib/a.js`);
    }
    fs.writeFileSync(path.join(dir, 'lib/a.js'), moduleText('a-inplace'));
    await until(port, '/a/', 'a-inplace', 'the in-place write after the atomic saves');
  });

  it('sees a module file deleted and created again, and later writes to it', async () => {
    fs.rmSync(path.join(dir, 'lib/a.js'));
    fs.writeFileSync(path.join(dir, 'lib/a.js'), moduleText('recreated'));
    await until(port, '/a/', 'recreated', 'the recreated file');
    fs.writeFileSync(path.join(dir, 'lib/a.js'), moduleText('recreated-2'));
    await until(port, '/a/', 'recreated-2', 'a write to the recreated file');
  });

  it('sees the module folder renamed away and a new one put in its place, and later writes in it', async () => {
    fs.renameSync(path.join(dir, 'lib'), path.join(dir, 'lib-old'));
    fs.mkdirSync(path.join(dir, 'lib'));
    fs.writeFileSync(path.join(dir, 'lib/a.js'), moduleText('new-folder'));
    await until(port, '/a/', 'new-folder', 'the file in the new folder');
    atomicWrite(path.join(dir, 'lib/a.js'), moduleText('new-folder-2'));
    await until(port, '/a/', 'new-folder-2', 'an atomic save in the new folder');
    fs.rmSync(path.join(dir, 'lib'), { recursive: true });
    fs.renameSync(path.join(dir, 'lib-old'), path.join(dir, 'lib'));
    await until(port, '/a/', 'recreated-2', 'the old folder renamed back');
  });

  it('sees git checkout switch branches back and forth', async () => {
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', '-c', 'init.defaultBranch=main', ...args], { cwd: dir, stdio: 'pipe' });
    fs.writeFileSync(path.join(dir, 'lib/a.js'), moduleText('main'));
    git('init', '-q');
    git('add', '-A');
    git('commit', '-qm', 'main');
    git('checkout', '-qb', 'other');
    fs.writeFileSync(path.join(dir, 'lib/a.js'), moduleText('other'));
    fs.writeFileSync(path.join(dir, 'mounts.json'), config('other'));
    git('commit', '-qam', 'other');
    await until(port, '/a/', 'other', 'the edit on branch other');
    for (let round = 0; round < 3; round++) {
      git('checkout', '-q', 'main');
      await until(port, '/a/', 'main', `checkout main (round ${round})`);
      await until(port, '/inplace/', 'stable', `mounts.json of main (round ${round})`);
      git('checkout', '-q', 'other');
      await until(port, '/a/', 'other', `checkout other (round ${round})`);
      await until(port, '/other/', 'stable', `mounts.json of other (round ${round})`);
    }
  });
});

describe('hot remount under load: 50 atomic saves of mounts.json and of a module file', function () {
  this.timeout(300_000);

  it('applies 50 of 50 of each while 4 clients keep requesting, with 0 failed requests', async () => {
    const config = (i: number) => JSON.stringify({ port: 0, mounts: [{ prefix: '/a', module: 'a.js' }, { prefix: '/stable', module: 'stable.js' }, { prefix: `/r${i}`, module: 'stable.js' }] });
    const dir = makeWorkspace({ 'mounts.json': config(0), 'a.js': moduleText('a0'), 'stable.js': moduleText('stable') });
    const cli = runCli([dir, '--watch', '--quiet']);
    try {
      await waitFor(`the "Watching" line; stderr: ${cli.stderr}`, () => /Watching .* for changes/.test(cli.stdout));
      const port = servingPort(cli.stdout);
      let requests = 0;
      const failures: string[] = [];
      let loading = true;
      const client = async (urlPath: string) => {
        while (loading) {
          const response = await fetchText(port, urlPath).catch((error: Error) => ({ status: 0, body: error.message }));
          requests++;
          if (response.status !== 200) failures.push(`${urlPath}: ${response.status} ${response.body}`);
        }
      };
      const clients = [client('/stable/'), client('/stable/x'), client('/a/'), client('/a/y')];
      let configsApplied = 0;
      let modulesApplied = 0;
      for (let i = 1; i <= 50; i++) {
        atomicWrite(path.join(dir, 'mounts.json'), config(i));
        atomicWrite(path.join(dir, 'a.js'), moduleText(`a${i}`));
        await until(port, `/r${i}/`, 'stable', `atomic save ${i} of mounts.json`).then(() => configsApplied++, (error: Error) => failures.push(error.message));
        await until(port, '/a/', `a${i}`, `atomic save ${i} of a.js`).then(() => modulesApplied++, (error: Error) => failures.push(error.message));
      }
      loading = false;
      await Promise.all(clients);
      console.log(`      mounts.json saves applied: ${configsApplied}/50; module saves applied: ${modulesApplied}/50; requests under load: ${requests}, failed: ${failures.length}`);
      assert.equal(configsApplied, 50, failures.join('\n'));
      assert.equal(modulesApplied, 50, failures.join('\n'));
      assert.deepEqual(failures, [], `${failures.length} of ${requests} requests failed`);
      assert.ok(requests > 200, `the load was too light to mean anything: ${requests} requests`);
    } finally {
      cli.child.kill('SIGINT');
      await cli.exited;
    }
  });
});

describe('--watch: a mounts.json that its folder watch cannot see change', function () {
  this.timeout(60_000);

  // mounts.json kept elsewhere (a dotfiles repository, say) and linked into the folder: its changes
  // happen outside the watched folder, where no file event reaches. mounts.json is also polled, the
  // same safety net that catches a save whose event never came.
  it('reloads when the file a symlinked mounts.json points to is saved in place or by rename', async () => {
    const config = (extra: string) => JSON.stringify({ port: 0, mounts: [{ prefix: `/${extra}`, module: 'stable.js' }] });
    const dir = makeWorkspace({ 'stable.js': moduleText('stable') });
    const elsewhere = makeWorkspace({ 'mounts.json': config('v0') });
    fs.symlinkSync(path.join(elsewhere, 'mounts.json'), path.join(dir, 'mounts.json'));
    const cli = runCli([dir, '--watch']);
    try {
      await waitFor(`the "Watching" line; stdout: ${cli.stdout} stderr: ${cli.stderr}`, () => /Watching .* for changes/.test(cli.stdout));
      const port = servingPort(cli.stdout);
      await until(port, '/v0/', 'stable', 'the first config');
      fs.writeFileSync(path.join(elsewhere, 'mounts.json'), config('inplace'));
      await until(port, '/inplace/', 'stable', 'the in-place save of the linked file');
      atomicWrite(path.join(elsewhere, 'mounts.json'), config('renamed'));
      await until(port, '/renamed/', 'stable', 'the atomic save of the linked file');
    } finally {
      cli.child.kill('SIGINT');
      await cli.exited;
    }
  });
});
