/**
 * Takes media/screenshot.png for the README from the real host: code-server with the packaged
 * extension installed, examples/demo open and serving (mounts.autoStart), the Mounts view shown,
 * mounts.json open at the clicked mount, captured by headless Chromium.
 *
 *   npm run package && npx tsc -p test/extension && node out/test/extension/screenshot.js
 *
 * Everything runs in a temporary folder and is stopped and removed at the end; demo port 8080 must
 * be free.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { installHost, privateEnv } from '../host/install';
import { ROOT, VSIX } from './setups';

const OUTPUT = path.join(ROOT, 'media', 'screenshot.png');
const WORKSPACE = path.join(ROOT, 'examples', 'demo');

async function main(): Promise<void> {
  if (!fs.existsSync(VSIX)) throw new Error(`${VSIX} is missing: run npm run package first`);
  const host = await installHost({ log: (line) => process.stderr.write(`${line}\n`) });
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mounts-screenshot-'));
  const env = { ...privateEnv(scratch), HOME: path.join(scratch, 'home') };
  fs.mkdirSync(env.HOME!, { recursive: true });
  const userData = path.join(scratch, 'user-data');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(userData, 'User', 'settings.json'),
    JSON.stringify({
      'mounts.autoStart': true,
      'workbench.colorTheme': 'Default Dark Modern',
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
      'chat.commandCenter.enabled': false,
      'window.commandCenter': false,
      'editor.minimap.enabled': false,
      // Notifications that would cover the picture.
      'git.openRepositoryInParentFolders': 'never',
      'remote.autoForwardPortsNotification': false,
      'remote.autoForwardPorts': false,
    }),
  );
  const config = path.join(scratch, 'config.yaml');
  fs.writeFileSync(config, 'auth: none\n');
  const common = ['--user-data-dir', userData, '--extensions-dir', path.join(scratch, 'extensions'), '--config', config];

  let server: ChildProcess | undefined;
  let browser: Browser | undefined;
  try {
    await run(process.execPath, [host.entry, ...common, '--install-extension', VSIX], env);
    server = spawn(
      process.execPath,
      [host.entry, '--auth', 'none', '--bind-addr', '127.0.0.1:0', '--disable-telemetry', '--disable-update-check',
        '--disable-workspace-trust', '--disable-getting-started-override', '--ignore-last-opened', ...common],
      { env, cwd: scratch, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const port = await listeningPort(server);
    await health(port);
    browser = await chromium.launch({
      executablePath: host.chromium,
      headless: true,
      chromiumSandbox: false,
      args: ['--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'],
      env: { ...env, HOME: path.join(scratch, 'browser-home') },
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 760 }, deviceScaleFactor: 1 });
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(WORKSPACE)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await page.locator('.activitybar [aria-label^="Mounts"]').first().click({ timeout: 60_000 });
    // Widen the side bar so mount descriptions show whole: drag its sash.
    const sidebar = await page.locator('.part.sidebar').first().boundingBox();
    if (sidebar) {
      const x = sidebar.x + sidebar.width;
      await page.mouse.move(x, 400);
      await page.mouse.down();
      await page.mouse.move(x + 150, 400, { steps: 5 });
      await page.mouse.up();
    }
    // Wait until the demo serves: the status bar names the port.
    await page.locator('.statusbar-item', { hasText: 'Mounts :' }).first().waitFor({ timeout: 60_000 });
    const blog = page.locator('.monaco-list-row', { hasText: 'blog' }).first();
    await blog.waitFor({ timeout: 30_000 });
    await blog.click();
    await page.locator('.monaco-editor .view-lines').first().waitFor({ timeout: 30_000 });
    if (process.env.SCREENSHOT_PROBLEMS) await page.keyboard.press('Control+Shift+M');
    await page.mouse.move(900, 700);
    await page.waitForTimeout(1500);
    await page.screenshot({ path: OUTPUT });
    process.stdout.write(`wrote ${OUTPUT}\n`);
  } finally {
    await browser?.close().catch(() => undefined);
    if (server?.pid !== undefined && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      try {
        process.kill(-server.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      try {
        process.kill(-server.pid, 'SIGKILL');
      } catch {
        // Gone.
      }
    }
    fs.rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
  }
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`))));
  });
}

function listeningPort(server: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let log = '';
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const match = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(log);
      if (match) resolve(Number(match[1]));
    };
    server.stdout!.on('data', onData);
    server.stderr!.on('data', onData);
    server.once('exit', (code) => reject(new Error(`code-server exited with ${code}:\n${log}`)));
  });
}

async function health(port: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      http.get({ host: '127.0.0.1', port, path: '/healthz' }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      }).on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('code-server never became healthy');
}

void main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
