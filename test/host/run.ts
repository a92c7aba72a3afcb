/**
 * Runs extension tests inside a real VS Code extension host, offline: code-server serves
 * the workbench and runs the Node extension host, a headless Chromium (driven by playwright-core)
 * opens the workbench with the test payload, and the workbench reports the suites' output and exit
 * code back through two functions exposed on the page.
 *
 *   node out/test/host/run.js --extension <dir> --tests <entry.js> [--workspace <dir|file>]
 *        [--timeout <ms>] [--env KEY=VALUE]... [--install-vsix <file>]... [--restricted] [--keep-home]
 *        [--vscode <version prefix>] [--verbose]
 *
 * Everything the host writes (user data, extensions, XDG folders, TMPDIR, HOME) lives in one fresh
 * temporary folder that is removed afterwards. Every ending (tests done, code-server died, browser
 * gone, timeout, abort) goes through one cleanup: close the browser, kill code-server's process
 * group, sweep any process that still carries this run's marker, remove the folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { format } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { selectHosts, type HostSpec } from './hosts';
import { installHost, privateEnv, type HostInstall } from './install';

export interface RunTestsOptions {
  /**
   * The extension(s) under development, loaded from source. Required by VS Code for a test run; with
   * `installVsix` point it at a folder without a package.json (for example the compiled tests'
   * folder) so that the installed copy is the one that runs. Defaults to the folder of
   * `extensionTestsPath` when omitted.
   */
  extensionDevelopmentPath?: string | string[];
  /** Absolute path of a CommonJS module exporting `run(): Promise<void>`. */
  extensionTestsPath: string;
  /** A folder, a `.code-workspace` file (multi-root), or undefined for an empty window. */
  workspace?: string;
  /** Overall limit from start to the suites' exit code; default 180 000 ms. */
  timeoutMs?: number;
  /** Extra environment for code-server, which passes it on to the extension host. */
  env?: Record<string, string>;
  /** .vsix files installed into the private extensions folder before the workbench opens. */
  installVsix?: string | string[];
  /**
   * Open the workspace in Restricted Mode: the Workspace Trust feature stays on (no
   * `--disable-workspace-trust`) and the fresh user data has never trusted anything, so the
   * workspace is untrusted. Default false: trust is disabled and everything is trusted.
   */
  restricted?: boolean;
  /** Written as the private profile's `User/settings.json` before start. */
  userSettings?: Record<string, unknown>;
  /**
   * Keep the real HOME for code-server and the extension host. By default HOME points into the
   * private folder too, so nothing a built-in extension or a test does can write to the real one.
   */
  keepHome?: boolean;
  /** Also write the workbench's own info lines to `stderr`. */
  verbose?: boolean;
  /** Where mocha's output goes; default process.stdout. */
  stdout?: NodeJS.WritableStream;
  /** Where warnings, errors and diagnostics go; default process.stderr. */
  stderr?: NodeJS.WritableStream;
  /** An installed host; default: installed (or found in the cache) by `installHost()`. */
  host?: HostInstall;
  /** Which release to install or find when `host` is not given; default the oldest (`hosts.ts`). */
  release?: HostSpec;
  /** Aborting ends the run like a timeout does, with reason 'aborted'. */
  signal?: AbortSignal;
}

export type HostFailure = 'startup' | 'timeout' | 'server-exited' | 'browser-disconnected' | 'aborted';

/** The run ended without the suites reporting an exit code. */
export class HostRunError extends Error {
  constructor(
    readonly reason: HostFailure,
    message: string,
  ) {
    super(message);
    this.name = 'HostRunError';
  }
}

/** Exit codes of the CLI besides the suites' own (0 all passed, non-zero otherwise). */
export const EXIT = { usage: 2, hostFailure: 3, timeout: 124, aborted: 130 } as const;

/** An environment variable carrying this run's id; any process that has it belongs to the run. */
export const RUN_MARKER_VARIABLE = 'MOUNTS_TEST_HOST_RUN';

const DEFAULT_TIMEOUT_MS = 180_000;
/**
 * The workbench's own info lines share the channel with the extension host's console; these are
 * kept out of the suites' output (they still land in the log tail).
 */
const WORKBENCH_CHATTER = [
  /^Resolving connection token /,
  /^Resolved connection token /,
  /^Creating a socket \(/,
  /^Ignoring fetching additional builtin extensions /,
  /^Updating additional builtin extensions cache/,
  /^\[Service Worker\] /,
  /^ChatSessionStore: /,
];
const LOG_TAIL_LINES = 60;
const CHROMIUM_ARGS = [
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/**
 * Runs the suites and resolves with their exit code (0 all passed). Rejects with a HostRunError
 * when the run ended some other way; the logs' tails have then been written to `stderr`.
 */
export async function runTests(options: RunTestsOptions): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const testsPath = path.resolve(options.extensionTestsPath);
  if (!fs.existsSync(testsPath)) throw new HostRunError('startup', `extensionTestsPath does not exist: ${testsPath}`);
  const devPaths = toArray(options.extensionDevelopmentPath ?? path.dirname(testsPath)).map((p) => path.resolve(p));
  const workspace = options.workspace === undefined ? undefined : path.resolve(options.workspace);
  if (workspace !== undefined && !fs.existsSync(workspace)) {
    throw new HostRunError('startup', `workspace does not exist: ${workspace}`);
  }
  if (workspace !== undefined && !workspace.endsWith('.code-workspace') && !fs.statSync(workspace).isDirectory()) {
    throw new HostRunError('startup', `workspace must be a folder or a .code-workspace file: ${workspace}`);
  }
  const vsixes = toArray(options.installVsix).map((p) => path.resolve(p));
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const host = options.host ?? (await installHost({ host: options.release, log: (line) => stderr.write(`${line}\n`) }));

  const run = new HostRun(host, stderr, options.verbose ?? false);
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const ended = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new HostRunError('timeout', `extension test run timed out after ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    const abort = () => reject(new HostRunError('aborted', 'extension test run aborted'));
    if (options.signal?.aborted) abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    run.onFailure = reject;
  });
  ended.catch(() => {});
  try {
    const exitCode = await Promise.race([
      ended,
      run.start({ ...options, devPaths, testsPath, workspace, vsixes, stdout }),
    ]);
    return exitCode;
  } catch (error) {
    if (error instanceof HostRunError) {
      const after = error.reason === 'timeout' ? '' : ` (after ${((Date.now() - started) / 1000).toFixed(1)} s)`;
      run.printTails(`${error.message}${after}`);
      throw error;
    }
    run.printTails(`extension test run failed: ${(error as Error).message}`);
    throw new HostRunError('startup', (error as Error).message);
  } finally {
    clearTimeout(timer);
    await run.dispose();
  }
}

interface StartOptions extends RunTestsOptions {
  devPaths: string[];
  testsPath: string;
  workspace: string | undefined;
  vsixes: string[];
  stdout: NodeJS.WritableStream;
}

/** One run's resources; `dispose()` releases all of them whatever state the run reached. */
class HostRun {
  onFailure: (error: HostRunError) => void = () => {};
  private readonly id = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  private readonly scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mounts-vscode-host-'));
  private readonly serverLog = new Tail(LOG_TAIL_LINES);
  private readonly browserLog = new Tail(LOG_TAIL_LINES);
  private server: ChildProcess | undefined;
  private serverExited: Promise<void> = Promise.resolve();
  private browser: Browser | undefined;
  private disposing = false;

  constructor(
    private readonly host: HostInstall,
    private readonly stderr: NodeJS.WritableStream,
    private readonly verbose: boolean,
  ) {}

  async start(options: StartOptions): Promise<number> {
    const env = this.environment(options);
    const dirs = {
      userData: path.join(this.scratch, 'user-data'),
      extensions: path.join(this.scratch, 'extensions'),
      config: path.join(this.scratch, 'config.yaml'),
    };
    fs.mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
    fs.mkdirSync(dirs.extensions, { recursive: true });
    // An empty config file is rejected; auth must be off for the browser to get in.
    fs.writeFileSync(dirs.config, 'auth: none\n');
    // Restricted Mode would ask "Do you trust the authors...?" in a dialog that test runs refuse
    // (an error in the log); without the prompt the workspace simply stays untrusted.
    const settings = {
      // The web workbench saves dirty files after a second by default, desktop VS Code does not;
      // suites written for desktop save explicitly, and an auto-save racing an explicit save made
      // document.save() answer false now and then in VS Code 1.139.
      'files.autoSave': 'off',
      ...(options.restricted ? { 'security.workspace.trust.startupPrompt': 'never' } : {}),
      ...options.userSettings,
    };
    fs.writeFileSync(path.join(dirs.userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
    const common = ['--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions, '--config', dirs.config];

    for (const vsix of options.vsixes) await this.installVsix(vsix, common, env);

    const args = [
      this.host.entry,
      '--auth', 'none',
      '--bind-addr', '127.0.0.1:0',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      ...(options.restricted ? [] : ['--disable-workspace-trust']),
      ...common,
    ];
    const port = await this.startServer(args, env);
    await waitForHealth(port, () => this.disposing);

    const authority = `127.0.0.1:${port}`;
    const payload: [string, string][] = [
      ...options.devPaths.map((p): [string, string] => ['extensionDevelopmentPath', remoteUri(authority, p)]),
      ['extensionTestsPath', remoteUri(authority, options.testsPath)],
      ['skipWelcome', 'true'],
      ['skipReleaseNotes', 'true'],
    ];
    const query = new URLSearchParams();
    if (options.workspace !== undefined) {
      query.set(options.workspace.endsWith('.code-workspace') ? 'workspace' : 'folder', options.workspace);
    }
    query.set('payload', JSON.stringify(payload));
    return this.openWorkbench(`http://${authority}/?${query.toString()}`, env, options.stdout);
  }

  private environment(options: StartOptions): NodeJS.ProcessEnv {
    const env = privateEnv(this.scratch);
    if (!options.keepHome) {
      env.HOME = path.join(this.scratch, 'home');
      fs.mkdirSync(env.HOME, { recursive: true });
    }
    Object.assign(env, options.env);
    env[RUN_MARKER_VARIABLE] = this.id;
    return env;
  }

  private async installVsix(vsix: string, common: string[], env: NodeJS.ProcessEnv): Promise<void> {
    const out = new Tail(LOG_TAIL_LINES);
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(this.host.node, [this.host.entry, ...common, '--force', '--install-extension', vsix], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => out.push(chunk));
      child.on('error', reject);
      child.on('close', resolve);
    });
    if (code !== 0) {
      throw new Error(`installing ${vsix} exited with ${code}:\n${out.text()}`);
    }
  }

  /** Starts code-server in its own process group; resolves with the port it bound. */
  private startServer(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
    const server = spawn(this.host.node, args, { env, cwd: this.scratch, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.server = server;
    this.serverExited = new Promise((resolve) => server.once('exit', () => resolve()));
    return new Promise((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        const text = chunk.toString();
        this.serverLog.push(text);
        const match = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(this.serverLog.text());
        if (match) resolve(Number(match[1]));
      };
      server.stdout!.on('data', onData);
      server.stderr!.on('data', onData);
      server.once('error', reject);
      server.once('exit', (code, signal) => {
        const error = new HostRunError('server-exited', `code-server exited with ${signal ?? code}`);
        reject(error);
        if (!this.disposing) this.onFailure(error);
      });
    });
  }

  private async openWorkbench(url: string, env: NodeJS.ProcessEnv, stdout: NodeJS.WritableStream): Promise<number> {
    const browser = await chromium.launch({
      executablePath: this.host.chromium,
      headless: true,
      chromiumSandbox: false,
      args: CHROMIUM_ARGS,
      // Playwright's own signal handlers would exit the process before this run's cleanup.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      // Chromium keeps an NSS database and caches under HOME and XDG folders: give it the private ones.
      env: { ...env, HOME: path.join(this.scratch, 'browser-home') },
    });
    this.browser = browser;
    browser.on('disconnected', () => {
      if (!this.disposing) this.onFailure(new HostRunError('browser-disconnected', 'the browser disconnected'));
    });
    const page = await browser.newPage();
    page.on('console', (message) => {
      // The workbench styles its log lines: "%c INFO color: #33f text".
      const text = message.text().replace(/^%c (\w+) color: \S+ /, '$1 ');
      this.browserLog.push(`[console.${message.type()}] ${text}\n`);
    });
    page.on('pageerror', (error) => this.browserLog.push(`[pageerror] ${error.message}\n`));
    page.on('crash', () => {
      if (!this.disposing) this.onFailure(new HostRunError('browser-disconnected', 'the workbench page crashed'));
    });
    let reportExit: (code: number) => void = () => {};
    const exitCode = new Promise<number>((resolve) => (reportExit = resolve));
    // The second argument, the workbench's log files, is not needed: the tails cover failures.
    await page.exposeFunction('codeAutomationExit', (code: unknown) => {
      reportExit(typeof code === 'number' ? code : 1);
    });
    await page.exposeFunction('codeAutomationLog', (type: unknown, args: unknown) => {
      const line = `${format(...(Array.isArray(args) ? args : [args]))}\n`;
      // Chatter is in the browser console's tail already.
      if (WORKBENCH_CHATTER.some((pattern) => pattern.test(line))) {
        if (this.verbose) this.stderr.write(line);
      } else if (type === 'error' || type === 'warn') {
        this.stderr.write(line);
      } else {
        stdout.write(line);
      }
    });
    if (this.host.spec.payloadNeedsSmokeTestDriver) await enableSmokeTestDriver(page);
    await page.goto(url);
    return exitCode;
  }

  /** Writes the tails of code-server's and the browser's output, after a headline. */
  printTails(headline: string): void {
    const parts = [`${headline}`];
    if (!this.serverLog.empty()) parts.push(`--- code-server (last ${LOG_TAIL_LINES} lines) ---`, this.serverLog.text().trimEnd());
    if (!this.browserLog.empty()) parts.push(`--- browser console (last ${LOG_TAIL_LINES} lines) ---`, this.browserLog.text().trimEnd());
    this.stderr.write(`${parts.join('\n')}\n`);
  }

  /** Closes the browser, stops code-server and every process of this run, removes the folder. */
  async dispose(): Promise<void> {
    this.disposing = true;
    const failures: unknown[] = [];
    if (this.browser) {
      await withTimeout(this.browser.close(), 5000).catch((error: unknown) => failures.push(error));
    }
    if (this.server?.pid !== undefined && this.server.exitCode === null && this.server.signalCode === null) {
      killGroup(this.server.pid, 'SIGTERM');
      const exited = await withTimeout(this.serverExited, 3000).then(() => true, () => false);
      if (!exited) killGroup(this.server.pid, 'SIGKILL');
      await withTimeout(this.serverExited, 3000).catch((error: unknown) => failures.push(error));
    }
    // Terminals run in their own sessions, outside code-server's group: find them by the marker.
    await sweepMarkedProcesses(this.id);
    try {
      fs.rmSync(this.scratch, { recursive: true, force: true, maxRetries: 3 });
    } catch (error) {
      failures.push(error);
    }
    if (failures.length > 0) {
      this.stderr.write(`cleanup problems: ${failures.map((e) => (e as Error).message ?? String(e)).join('; ')}\n`);
    }
  }
}

/**
 * Adds `developmentOptions.enableSmokeTestDriver` to the configuration code-server embeds in the
 * workbench page (the `data-settings` attribute of a meta element), as the VS Code server would with
 * `--enable-smoke-test-driver`, by wrapping `getAttribute` before any page script runs. Rewriting
 * the page's response with a route instead left the workbench's WebSockets failing (code 1006).
 */
async function enableSmokeTestDriver(page: Page): Promise<void> {
  // A string: this project compiles without the DOM library, and the code runs in the page.
  await page.addInitScript({
    content: `(() => {
      const getAttribute = Element.prototype.getAttribute;
      Element.prototype.getAttribute = function (name) {
        const value = getAttribute.call(this, name);
        if (value === null || name !== 'data-settings' || this.id !== 'vscode-workbench-web-configuration') return value;
        const config = JSON.parse(value);
        config.developmentOptions = { ...config.developmentOptions, enableSmokeTestDriver: true };
        return JSON.stringify(config);
      };
    })();`,
  });
}

/** A `vscode-remote` URI for a path on the code-server machine, each segment percent-encoded. */
function remoteUri(authority: string, absolutePath: string): string {
  return `vscode-remote://${authority}${absolutePath.split('/').map(encodeURIComponent).join('/')}`;
}

function waitForHealth(port: number, stopped: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (stopped()) return reject(new Error('stopped while waiting for /healthz'));
      const req = http.get({ host: '127.0.0.1', port, path: '/healthz', timeout: 2000 }, (res) => {
        res.resume();
        if (res.statusCode === 200) resolve();
        else setTimeout(attempt, 100);
      });
      req.on('error', () => setTimeout(attempt, 100));
      req.on('timeout', () => req.destroy());
    };
    attempt();
  });
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/**
 * Live processes (not this one) whose environment has `name=value` (Linux /proc; processes of other
 * users are skipped). Every process of a run carries `RUN_MARKER_VARIABLE` and the variables of
 * `RunTestsOptions.env`, so this finds whatever a run left behind.
 */
export function findProcessesWithEnv(name: string, value: string): number[] {
  const needle = `\0${name}=${value}\0`;
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = fs.readFileSync(`/proc/${entry}/environ`, 'latin1');
      if (`\0${environ}\0`.includes(needle)) pids.push(Number(entry));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return pids;
}

async function sweepMarkedProcesses(id: string): Promise<void> {
  let pids = findProcessesWithEnv(RUN_MARKER_VARIABLE, id);
  if (pids.length === 0) return;
  for (const pid of pids) killPid(pid, 'SIGTERM');
  for (let i = 0; i < 20 && pids.length > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    pids = findProcessesWithEnv(RUN_MARKER_VARIABLE, id);
  }
  for (const pid of pids) killPid(pid, 'SIGKILL');
}

function killPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`gave up after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function toArray(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** The last lines of a stream of text. */
class Tail {
  private lines: string[] = [];
  private partial = '';
  constructor(private readonly max: number) {}
  push(chunk: Buffer | string): void {
    const parts = (this.partial + chunk.toString()).split('\n');
    this.partial = parts.pop()!;
    this.lines.push(...parts);
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }
  empty(): boolean {
    return this.lines.length === 0 && this.partial === '';
  }
  text(): string {
    return [...this.lines, this.partial].join('\n');
  }
}

const USAGE = `usage: run.js --extension <extensionDevelopmentPath> --tests <test entry .js> [--workspace <folder|.code-workspace>]
              [--timeout <ms>] [--env KEY=VALUE]... [--install-vsix <file.vsix>]... [--restricted] [--keep-home]
              [--vscode <release, e.g. 1.139; default the oldest>] [--verbose]
exit codes: the suites' own (0 all passed), ${EXIT.usage} usage, ${EXIT.hostFailure} host failure, ${EXIT.timeout} timeout, ${EXIT.aborted} interrupted`;

/** Parses the CLI's arguments; throws a message for the usage text. */
export function parseArgs(argv: string[]): RunTestsOptions {
  const devPaths: string[] = [];
  const vsixes: string[] = [];
  const env: Record<string, string> = {};
  let tests: string | undefined;
  const options: Partial<RunTestsOptions> = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--extension':
      case '--extensionDevelopmentPath':
        devPaths.push(value());
        break;
      case '--tests':
      case '--extensionTestsPath':
        tests = value();
        break;
      case '--workspace':
        options.workspace = value();
        break;
      case '--timeout': {
        const ms = Number(value());
        if (!Number.isFinite(ms) || ms <= 0) throw new Error('--timeout needs a positive number of milliseconds');
        options.timeoutMs = ms;
        break;
      }
      case '--env': {
        const pair = value();
        const eq = pair.indexOf('=');
        if (eq <= 0) throw new Error(`--env needs KEY=VALUE, got ${pair}`);
        env[pair.slice(0, eq)] = pair.slice(eq + 1);
        break;
      }
      case '--install-vsix':
        vsixes.push(value());
        break;
      case '--restricted':
        options.restricted = true;
        break;
      case '--keep-home':
        options.keepHome = true;
        break;
      case '--verbose':
        options.verbose = true;
        break;
      case '--vscode': {
        const picked = selectHosts(['--vscode', value()]);
        if (picked.length !== 1) throw new Error(`--vscode must pick one release, got ${picked.map((h) => h.vscode).join(', ')}`);
        options.release = picked[0];
        break;
      }
      default:
        throw new Error(`unknown argument: ${flag}`);
    }
  }
  if (tests === undefined) throw new Error('--tests is required');
  if (!path.isAbsolute(tests)) throw new Error(`--tests must be an absolute path, got ${tests}`);
  return {
    ...options,
    extensionTestsPath: tests,
    extensionDevelopmentPath: devPaths.length > 0 ? devPaths : undefined,
    installVsix: vsixes,
    env,
  };
}

async function main(): Promise<number> {
  let options: RunTestsOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return EXIT.usage;
  }
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await runTests({ ...options, signal: controller.signal });
  } catch (error) {
    if (!(error instanceof HostRunError)) {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      return EXIT.hostFailure;
    }
    if (error.reason === 'timeout') return EXIT.timeout;
    if (error.reason === 'aborted') return EXIT.aborted;
    return EXIT.hostFailure;
  }
}

if (require.main === module) {
  void main().then((code) => {
    process.exitCode = code;
  });
}
