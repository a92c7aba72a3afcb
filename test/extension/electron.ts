/**
 * The same suites and workspace setups as runAll.ts, run the standard way with @vscode/test-electron
 * (desktop VS Code 1.100.3, downloaded into .vscode-test/). Needs internet for the first download:
 * it is NOT exercised on this project's CI, which has none; `npm run test:extension` is the CI path.
 *
 *   npm run test:electron [-- --only single,multi]
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { downloadAndUnzipVSCode, resolveCliArgsFromVSCodeExecutablePath, runTests } from '@vscode/test-electron';
import { prepareWorkspace, ROOT, selectSetups, SUITES, VSIX, type Setup } from './setups';

const VERSION = '1.100.3';

async function runSetup(executable: string, setup: Setup): Promise<number> {
  const { workspace, cleanup } = prepareWorkspace(setup);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mounts-electron-'));
  const userData = path.join(profile, 'user-data');
  const extensions = path.join(profile, 'extensions');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  // Restricted Mode would ask in a dialog that test runs refuse; without the prompt it stays untrusted.
  fs.writeFileSync(
    path.join(userData, 'User', 'settings.json'),
    JSON.stringify({ 'security.workspace.trust.startupPrompt': 'never', ...setup.userSettings }),
  );
  try {
    if (setup.vsix) await installVsix(executable, extensions);
    // The packaged run points the development path at the suites' folder (no package.json), so the
    // installed copy is the one that activates.
    const developmentPath = setup.vsix ? SUITES : ROOT;
    const launchArgs = [workspace, `--user-data-dir=${userData}`, `--extensions-dir=${extensions}`];
    if (!setup.restricted) {
      return await runTests({ vscodeExecutablePath: executable, extensionDevelopmentPath: developmentPath, extensionTestsPath: setup.tests, launchArgs });
    }
    // runTests always adds --disable-workspace-trust; Restricted Mode needs a launch without it.
    return await launch(executable, [
      ...launchArgs,
      '--no-sandbox',
      '--disable-gpu-sandbox',
      '--disable-updates',
      '--skip-welcome',
      '--skip-release-notes',
      `--extensionDevelopmentPath=${developmentPath}`,
      `--extensionTestsPath=${setup.tests}`,
    ]);
  } finally {
    cleanup();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

function installVsix(executable: string, extensionsDir: string): Promise<void> {
  const [cli, ...cliArgs] = resolveCliArgsFromVSCodeExecutablePath(executable);
  return launch(cli, [...cliArgs, `--extensions-dir=${extensionsDir}`, '--install-extension', VSIX, '--force']).then((code) => {
    if (code !== 0) throw new Error(`installing ${VSIX} exited with ${code}`);
  });
}

function launch(command: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function main(): Promise<number> {
  const executable = await downloadAndUnzipVSCode(VERSION);
  const failed: string[] = [];
  for (const setup of selectSetups(process.argv.slice(2))) {
    process.stdout.write(`\n=== ${setup.name} ===\n`);
    const code = await runSetup(executable, setup).catch((error: unknown) => {
      process.stderr.write(`${(error as Error).message}\n`);
      return 1;
    });
    if (code !== 0) failed.push(setup.name);
  }
  if (failed.length) process.stderr.write(`failed: ${failed.join(', ')}\n`);
  return failed.length ? 1 : 0;
}

void main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
