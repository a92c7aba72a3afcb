/**
 * Runs every extension suite in the real VS Code host, offline (test/host: code-server + headless
 * Chromium), one host launch per workspace setup, two at a time, each setup's output printed
 * whole when it ends. Exit code 0 only when every suite passed.
 *
 *   node out/test/extension/runAll.js [--only single,multi] [--serial]
 *
 * The vsix setup needs mounts.vsix (`npm run package`).
 */
import * as fs from 'node:fs';
import { PassThrough } from 'node:stream';
import { installHost } from '../host/install';
import { HostRunError, runTests } from '../host/run';
import { prepareWorkspace, ROOT, selectSetups, VSIX, type Setup } from './setups';

const TIMEOUT_MS = 240_000;

interface Outcome {
  readonly setup: Setup;
  readonly code: number;
  readonly seconds: number;
}

async function runSetup(setup: Setup, host: Awaited<ReturnType<typeof installHost>>): Promise<Outcome> {
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
      installVsix: setup.vsix ? VSIX : undefined,
      workspace,
      restricted: setup.restricted,
      userSettings: setup.userSettings,
      timeoutMs: TIMEOUT_MS,
      stdout: sink,
      stderr: sink,
    });
  } catch (error) {
    sink.write(`${error instanceof HostRunError ? `host ${error.reason}: ` : ''}${(error as Error).message}\n`);
    code = error instanceof HostRunError && error.reason === 'timeout' ? 124 : 3;
  } finally {
    cleanup();
  }
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(`\n=== ${setup.name} (${seconds.toFixed(1)} s, exit ${code}) ===\n${Buffer.concat(output).toString()}`);
  return { setup, code, seconds };
}

async function main(): Promise<number> {
  const setups = selectSetups(process.argv.slice(2));
  const parallel = process.argv.includes('--serial') ? 1 : 2;
  const host = await installHost({ log: (line) => process.stderr.write(`${line}\n`) });
  const started = Date.now();
  const queue = [...setups];
  const outcomes: Outcome[] = [];
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let setup = queue.shift(); setup; setup = queue.shift()) outcomes.push(await runSetup(setup, host));
    }),
  );
  process.stdout.write('\n');
  for (const outcome of outcomes) {
    process.stdout.write(`${outcome.code === 0 ? 'passed' : `FAILED (exit ${outcome.code})`}  ${outcome.setup.name}  ${outcome.seconds.toFixed(1)} s\n`);
  }
  process.stdout.write(`extension suites: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return outcomes.every((outcome) => outcome.code === 0) && outcomes.length === setups.length ? 0 : 1;
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
