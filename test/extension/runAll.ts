/**
 * Runs every extension suite in each real VS Code host (test/host/hosts.ts: the oldest and the
 * newest release), offline (code-server + headless Chromium), one host launch per workspace setup
 * and release, two at a time, each run's output printed whole when it ends under a headline naming
 * its VS Code version. Exit code 0 only when every suite passed in every release.
 *
 *   node out/test/extension/runAll.js [--only single,multi] [--vscode 1.100,1.139] [--serial]
 *
 * The vsix setup needs mounts.vsix (`npm run package`).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { selectHosts } from '../host/hosts';
import { installHosts, type HostInstall } from '../host/install';
import { HostRunError, runTests } from '../host/run';
import { prepareWorkspace, ROOT, selectSetups, VSIX, type Setup } from './setups';

const TIMEOUT_MS = 240_000;

interface Outcome {
  readonly name: string;
  readonly setup: Setup;
  readonly code: number;
  readonly seconds: number;
}

// Ctrl-C ends the running suites through their cleanup (browser closed, code-server's group killed).
const interrupted = new AbortController();
process.once('SIGINT', () => interrupted.abort());
process.once('SIGTERM', () => interrupted.abort());

/** The `extensions` folders of the setups, each packaged once per run: folder → .vsix. */
const packaged = new Map<string, string>();

function packageExtensions(setups: readonly Setup[]): void {
  const folders = [...new Set(setups.flatMap((setup) => setup.extensions ?? []))];
  if (folders.length === 0) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mounts-extensions-'));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const vsce = path.join(path.dirname(require.resolve('@vscode/vsce/package.json')), 'vsce');
  for (const folder of folders) {
    const vsix = path.join(dir, `${path.basename(folder)}.vsix`);
    execFileSync(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '-o', vsix], { cwd: folder, stdio: 'pipe' });
    packaged.set(folder, vsix);
  }
}

async function runSetup(setup: Setup, host: HostInstall): Promise<Outcome> {
  const name = `VS Code ${host.spec.vscode} · ${setup.name}`;
  const started = Date.now();
  const output: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => output.push(chunk));
  const { workspace, cleanup } = prepareWorkspace(setup);
  let code: number;
  try {
    if (setup.vsix && !fs.existsSync(VSIX)) throw new Error(`${VSIX} is missing: run npm run package first`);
    code = await runTests({
      host,
      extensionTestsPath: setup.tests,
      // The packaged run must not load the source tree: the test entry's folder has no package.json.
      extensionDevelopmentPath: setup.vsix ? undefined : ROOT,
      installVsix: [...(setup.vsix ? [VSIX] : []), ...(setup.extensions ?? []).map((folder) => packaged.get(folder)!)],
      workspace,
      restricted: setup.restricted,
      userSettings: setup.userSettings,
      timeoutMs: TIMEOUT_MS,
      stdout: sink,
      stderr: sink,
      signal: interrupted.signal,
    });
  } catch (error) {
    sink.write(`${error instanceof HostRunError ? `host ${error.reason}: ` : ''}${(error as Error).message}\n`);
    code = error instanceof HostRunError && error.reason === 'timeout' ? 124 : 3;
  } finally {
    cleanup();
  }
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(`\n=== ${name} (${seconds.toFixed(1)} s, exit ${code}) ===\n${Buffer.concat(output).toString()}`);
  return { name, setup, code, seconds };
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const setups = selectSetups(argv);
  packageExtensions(setups);
  const parallel = argv.includes('--serial') ? 1 : 2;
  const hosts = await installHosts(selectHosts(argv), { log: (line) => process.stderr.write(`${line}\n`) });
  for (const host of hosts) {
    process.stdout.write(`VS Code ${host.spec.vscode}: code-server ${host.spec.codeServer} on Node ${host.spec.node ?? process.versions.node}\n`);
  }
  const started = Date.now();
  const queue = setups.flatMap((setup) => hosts.map((host) => ({ setup, host })));
  const runs = queue.length;
  const outcomes: Outcome[] = [];
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let next = queue.shift(); next && !interrupted.signal.aborted; next = queue.shift()) {
        outcomes.push(await runSetup(next.setup, next.host));
      }
    }),
  );
  process.stdout.write('\n');
  for (const outcome of outcomes) {
    process.stdout.write(`${outcome.code === 0 ? 'passed' : `FAILED (exit ${outcome.code})`}  ${outcome.name}  ${outcome.seconds.toFixed(1)} s\n`);
  }
  process.stdout.write(`extension suites: ${outcomes.length} runs in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return outcomes.every((outcome) => outcome.code === 0) && outcomes.length === runs ? 0 : 1;
}

void main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 3;
  },
);
