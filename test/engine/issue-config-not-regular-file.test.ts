/**
 * mounts.json must be a regular file of reasonable size. A FIFO there hung the start with no word,
 * and under `--watch` hung the reload (and every later reload and the stop queued behind it, so
 * SIGTERM no longer stopped the server); a symlink to /dev/zero took memory without end; a huge
 * file was parsed whole. Each is now one clear problem naming the file.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatProblem, readConfig } from '../../src/engine/config';
import { MAX_CONFIG_BYTES } from '../../src/engine/configFile';
import { runCli, servingPort, waitFor, type CliRun } from './cliProcess';
import { get, makeWorkspace } from './helpers';

/** The exit code, or a failure naming what the CLI printed if it has not exited within `ms`. */
async function exitCode(cli: CliRun, ms = 10_000): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`the CLI did not exit within ${ms} ms; stdout: ${cli.stdout} stderr: ${cli.stderr}`)), ms);
  });
  try {
    return await Promise.race([cli.exited, hung]);
  } finally {
    clearTimeout(timer);
  }
}

describe('issue: mounts.json that is not a regular file, or is huge', function () {
  this.timeout(30_000);
  let cli: CliRun | undefined;
  afterEach(() => {
    if (cli && cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL');
    cli = undefined;
  });

  const cases: Array<[string, (file: string) => void, RegExp]> = [
    ['a FIFO', (file) => execFileSync('mkfifo', [file]), /is a named pipe \(FIFO\), not a regular file/],
    ['a symlink to /dev/zero', (file) => fs.symlinkSync('/dev/zero', file), /is a character device \(\/dev\/zero\), not a regular file/],
    [
      'larger than the cap',
      // Valid JSON, so that only its size can refuse it.
      (file) => fs.writeFileSync(file, JSON.stringify({ port: 0, mounts: [], $schema: 'x'.repeat(MAX_CONFIG_BYTES) })),
      /is too large: mounts\.json may be at most 1 MiB, and this file is 1\.0 MiB/,
    ],
  ];
  for (const [what, make, message] of cases) {
    it(`refuses to start on a mounts.json that is ${what}, naming the file (exit 2)`, async () => {
      const dir = makeWorkspace();
      const file = path.join(dir, 'mounts.json');
      make(file);
      cli = runCli(['serve', file, '--port', '0']);
      assert.equal(await exitCode(cli), 2, cli.stderr);
      assert.match(cli.stderr, new RegExp(`${file.replace(/[/.]/g, '\\$&')}:1:1: ${message.source}`));
    });
  }

  it('names a folder at mounts.json as such (the CLI looks inside a folder given; the editor names the file)', async () => {
    const file = path.join(makeWorkspace(), 'mounts.json');
    fs.mkdirSync(file);
    assert.deepEqual((await readConfig(file)).problems.map(formatProblem), [`${file}:1:1: is a folder, not a file`]);
  });

  it('--watch reports a FIFO put in place of mounts.json, applies the next real save, and stops on SIGTERM', async () => {
    const dir = makeWorkspace({ 'mounts.json': JSON.stringify({ port: 0, mounts: [{ prefix: '/a', static: 'a' }] }), 'a/index.html': 'a', 'b/index.html': 'b' });
    const file = path.join(dir, 'mounts.json');
    cli = runCli(['serve', dir, '--watch', '--quiet']);
    await waitFor('the URL', () => servingPort(cli!.stdout) > 0 && cli!.stdout.includes('Watching'));
    const port = servingPort(cli.stdout);
    fs.rmSync(file);
    execFileSync('mkfifo', [file]);
    await waitFor('the FIFO to be reported', () => /mounts\.json not applied[^]*named pipe \(FIFO\)/.test(cli!.stderr), 15_000);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify({ port: 0, mounts: [{ prefix: '/a', static: 'a' }, { prefix: '/b', static: 'b' }] }));
    fs.renameSync(`${file}.tmp`, file);
    await waitFor(() => `the save after the FIFO to be applied; stderr: ${cli!.stderr}`, async () => (await get(`http://127.0.0.1:${port}/b/`)).body === 'b', 15_000);
    cli.child.kill('SIGTERM');
    assert.equal(await exitCode(cli), 0);
  });
});
