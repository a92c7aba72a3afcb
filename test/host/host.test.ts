// The VS Code test host's own tests: the CLI runner against the fixture extension in
// test/host/fixture/. Plain mocha, outside the engine's spec glob:
//   npx mocha out/test/host/host.test.js
// Each run gets a fresh HOME and TMPDIR; both must look the same afterwards, and no process
// carrying the run's tag may survive it.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { HOSTS } from './hosts';
import { installHost } from './install';
import { EXIT, findProcessesWithEnv } from './run';

const projectRoot = path.resolve(__dirname, '..', '..', '..');
const fixture = path.join(projectRoot, 'test', 'host', 'fixture');
const suites = path.join(fixture, 'suites');
const runJs = path.join(__dirname, 'run.js');
const TAG = 'MOUNTS_HOST_SELF_TEST';

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

for (const release of HOSTS) {
  describe(`VS Code test host: VS Code ${release.vscode} (code-server ${release.codeServer})`, function () {
    // A run takes 15 s on an idle machine and 50-75 s on a 2-core machine shared by several test runs.
    this.timeout(180_000);
    this.slow(15_000);

    let scratch: string;
    let home: string;
    let tmp: string;
    let workspace: string;
    let vsix: string;

    before(async function () {
      this.timeout(300_000);
      await installHost({ host: release });
      scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mounts-host-test-'));
      home = path.join(scratch, 'home');
      tmp = path.join(scratch, 'tmp');
      fs.mkdirSync(home);
      fs.writeFileSync(path.join(home, '.sentinel'), 'untouched\n');
      fs.mkdirSync(tmp);
      // The suites write into the workspace (the watcher test), so they get a copy.
      workspace = path.join(scratch, 'workspace');
      fs.cpSync(path.join(fixture, 'workspace'), workspace, { recursive: true });
      vsix = path.join(scratch, 'host-fixture.vsix');
      const packaged = await exec(
        process.execPath,
        [vsceBin(), 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '-o', vsix],
        fixture,
      );
      assert.equal(packaged.code, 0, `vsce package failed:\n${packaged.stdout}${packaged.stderr}`);
    });

    after(() => {
      if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
    });

    /**
     * Runs the CLI with the fresh HOME and TMPDIR, then checks it left nothing behind.
     * Output comes back without terminal colours: mocha 12 colours its check marks through
     * log-symbols whatever its `color` option says, so FORCE_COLOR in CI would add escapes.
     */
    async function runCli(args: string[]): Promise<CliResult> {
      const tag = `${process.pid}-${Date.now()}`;
      const homeBefore = snapshot(home);
      const env = { ...process.env, HOME: home, TMPDIR: tmp };
      const result = await exec(process.execPath, [runJs, '--vscode', release.vscode, ...args, '--env', `${TAG}=${tag}`], projectRoot, env);
      assert.deepEqual(findProcessesWithEnv(TAG, tag), [], 'no process of the run is left');
      assert.deepEqual(snapshot(home), homeBefore, 'HOME is untouched');
      assert.deepEqual(fs.readdirSync(tmp), [], 'TMPDIR is left empty');
      return { ...result, stdout: stripVTControlCharacters(result.stdout), stderr: stripVTControlCharacters(result.stderr) };
    }

    it(`passes: exit 0 and mocha output on stdout; the release is VS Code ${release.vscode}, with the integrated browser command ${release.integratedBrowserCommand ? 'present' : 'absent'}`, async () => {
      const browser = release.integratedBrowserCommand ? 'present' : 'absent';
      const result = await runCli([
        '--extension', fixture,
        '--tests', path.join(suites, 'passing.js'),
        '--workspace', path.join(workspace, 'a'),
        '--env', 'FIXTURE_EXPECT_FOLDERS=1',
        '--env', `FIXTURE_EXPECT_VSCODE=${release.vscode}`,
        '--env', `FIXTURE_EXPECT_BROWSER_COMMAND=${browser}`,
      ]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /✔ activates and answers its command/);
      assert.match(result.stdout, /✔ reports create, change and delete of a file written outside the editor/);
      assert.match(result.stdout, /✔ LogOutputChannel writes to its log file/);
      assert.match(result.stdout, new RegExp(`vscode\\.version: ${release.vscode.replace(/\./g, '\\.')}$`, 'm'));
      assert.match(result.stdout, new RegExp(`^workbench\\.action\\.browser\\.open: ${browser}$`, 'm'));
      assert.match(result.stdout, /8 passing/);
      assert.match(result.stdout, /extension path: .*test\/host\/fixture$/m);
      assert.doesNotMatch(result.stdout, /Creating a socket/, 'workbench chatter stays out of stdout');
    });

    // How the runner reports a failure, a hang and bad arguments does not depend on the release:
    // those run once, in the oldest. So do its .vsix and Restricted Mode options: the extension
    // suites' "packaged vsix" and "restricted mode" setups use them in every release.
    const runnerOnly = release === HOSTS[0] ? it : undefined;

    runnerOnly?.('fails: non-zero exit and the failure in the output', async () => {
      const result = await runCli([
        '--extension', fixture,
        '--tests', path.join(suites, 'failing.js'),
        '--workspace', path.join(workspace, 'a'),
      ]);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stdout, /1 passing/);
      assert.match(result.stdout, /1 failing/);
      assert.match(result.stdout, /AssertionError/);
    });

    runnerOnly?.('hangs: times out with a message, a log tail and exit 124', async () => {
      const result = await runCli([
        '--extension', fixture,
        '--tests', path.join(suites, 'hanging.js'),
        '--workspace', path.join(workspace, 'a'),
        '--timeout', '8000',
      ]);
      assert.equal(result.code, EXIT.timeout);
      assert.match(result.stderr, /extension test run timed out after 8 s/);
      assert.match(result.stderr, /--- code-server \(last \d+ lines\) ---/);
      assert.ok(result.ms < 20_000, `ended ${result.ms} ms after start`);
    });

    runnerOnly?.('runs an installed .vsix in a multi-root workspace', async () => {
      const result = await runCli([
        '--tests', path.join(suites, 'passing.js'),
        '--install-vsix', vsix,
        '--workspace', path.join(workspace, 'multi.code-workspace'),
        '--env', 'FIXTURE_EXPECT_FOLDERS=2',
        '--env', 'FIXTURE_EXPECT_INSTALLED=1',
      ]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /workspace folders: a, b/);
      assert.match(result.stdout, /extension path: .*\/extensions\/mounts-dev\.host-fixture-0\.0\.1$/m);
    });

    runnerOnly?.('opens the workspace in Restricted Mode with --restricted', async () => {
      const result = await runCli([
        '--extension', fixture,
        '--tests', path.join(suites, 'restricted.js'),
        '--workspace', path.join(workspace, 'a'),
        '--restricted',
      ]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /workspace trusted: false/);
      assert.doesNotMatch(result.stderr, /Do you trust the authors/, 'no trust prompt');
    });

    runnerOnly?.('rejects bad arguments with the usage and exit 2', async () => {
      const result = await runCli(['--tests', 'relative/entry.js']);
      assert.equal(result.code, EXIT.usage);
      assert.match(result.stderr, /--tests must be an absolute path/);
      assert.match(result.stderr, /usage: run\.js/);
    });
  });
}

function exec(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
}

function vsceBin(): string {
  const manifest = require.resolve('@vscode/vsce/package.json');
  const bin = (require(manifest) as { bin: Record<string, string> }).bin.vsce;
  return path.join(path.dirname(manifest), bin);
}

/** Every path under `dir` with its size and mtime. */
function snapshot(dir: string): string[] {
  const entries: string[] = [];
  const walk = (current: string) => {
    for (const name of fs.readdirSync(current)) {
      const file = path.join(current, name);
      const stat = fs.lstatSync(file);
      entries.push(`${path.relative(dir, file)} ${stat.size} ${stat.mtimeMs}`);
      if (stat.isDirectory()) walk(file);
    }
  };
  walk(dir);
  entries.push(`. ${fs.statSync(dir).mtimeMs}`);
  return entries.sort();
}
