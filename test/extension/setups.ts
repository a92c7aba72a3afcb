/**
 * The workspace setups the extension suites run in, one host launch each. Shared by the offline
 * runner (`runAll.ts`, code-server) and the standard one (`electron.ts`, @vscode/test-electron).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'workspaces');
export const SUITES = path.join(__dirname, 'suites');
export const VSIX = path.join(ROOT, 'mounts.vsix');

export interface Setup {
  readonly name: string;
  /** Compiled suite entry, exporting run(). */
  readonly tests: string;
  /** Fixture folder (copied before the run) and what to open inside the copy. */
  readonly fixture: string;
  readonly open: string;
  /** Opened untrusted (Restricted Mode). */
  readonly restricted?: boolean;
  /** Installs mounts.vsix and runs against the installed copy instead of the source tree. */
  readonly vsix?: boolean;
  /** The profile's user settings, in place before the window opens (so before activation). */
  readonly userSettings?: Record<string, unknown>;
  /**
   * Extension folders installed beside Mounts, packaged for the run: a web workbench takes one
   * extension development path (the last wins), so they cannot be loaded from source.
   */
  readonly extensions?: readonly string[];
}

/**
 * Stands in for the Python extension, which cannot be installed offline: its environments API, as
 * @vscode/python-extension reads it. In the single-folder setup only; the auto-start setup runs
 * without it, so both sides of "is the Python extension installed" are tested.
 */
const PYTHON_EXTENSION_STAND_IN = path.join(ROOT, 'test', 'extension', 'pythonStandIn');

export const SETUPS: readonly Setup[] = [
  { name: 'single folder', tests: path.join(SUITES, 'basic.js'), fixture: 'basic', open: '.', extensions: [PYTHON_EXTENSION_STAND_IN] },
  { name: 'restricted mode', tests: path.join(SUITES, 'restricted.js'), fixture: 'basic', open: '.', restricted: true },
  { name: 'multi-root', tests: path.join(SUITES, 'multiroot.js'), fixture: 'multi-root', open: 'multi.code-workspace' },
  { name: 'packaged vsix', tests: path.join(SUITES, 'vsix.js'), fixture: 'basic', open: '.', vsix: true },
  { name: 'auto start', tests: path.join(SUITES, 'autostart.js'), fixture: 'basic', open: '.', userSettings: { 'mounts.autoStart': true } },
];

/** `--only a,b` keeps the setups whose name contains one of the words. */
export function selectSetups(argv: string[]): Setup[] {
  const index = argv.indexOf('--only');
  if (index < 0) return [...SETUPS];
  const words = (argv[index + 1] ?? '').split(',').filter(Boolean);
  return SETUPS.filter((setup) => words.some((word) => setup.name.includes(word)));
}

/**
 * A fresh copy of the setup's fixture (the suites edit mounts.json and app files), and what to open
 * in it. `cleanup` removes the copy.
 */
export function prepareWorkspace(setup: Setup): { workspace: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mounts-ext-ws-'));
  const copy = path.join(dir, setup.fixture);
  fs.cpSync(path.join(FIXTURES, setup.fixture), copy, { recursive: true });
  return { workspace: path.join(copy, setup.open), cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
