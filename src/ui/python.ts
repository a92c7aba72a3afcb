/**
 * The interpreter of wsgi and asgi mounts in the editor: the one the Python extension selected for
 * each served folder, read through `@vscode/python-extension` when that extension is installed (it
 * is not a dependency of Mounts). Without it, or with nothing selected, engines keep their default:
 * python3 on the PATH. A mount's own `python` always wins; that is the engine's rule, not this file's.
 *
 * The choice reaches an engine through `Engine.setPython`, which restarts the Python mounts that
 * have no `python` of their own; it is pushed again whenever the selection or the set of served
 * folders changes.
 */
import { PythonExtension } from '@vscode/python-extension';
import * as vscode from 'vscode';
import type { PythonChoice } from '../engine/index';
import { Disposable } from './dispose';
import type { MountsFolder, MountsFolders } from './folders';

const PYTHON_EXTENSION_ID = 'ms-python.python';
const SOURCE = "the Python extension's interpreter for this folder";

export class PythonInterpreters extends Disposable {
  private api: Promise<PythonExtension | undefined> | undefined;

  constructor(
    private readonly folders: MountsFolders,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this._register(folders.onDidChangeFolders(() => void this.sync()));
    // The Python extension installed or enabled while the window is open.
    this._register(
      vscode.extensions.onDidChange(() => {
        if (this.api === undefined) void this.sync();
      }),
    );
    void this.sync();
  }

  /** Gives every served folder's engine the interpreter selected for it (or none). */
  private async sync(): Promise<void> {
    const api = await this.pythonApi();
    if (!api) return;
    await Promise.all(this.folders.list().map((folder) => this.apply(api, folder)));
  }

  private async apply(api: PythonExtension, folder: MountsFolder): Promise<void> {
    try {
      const choice = await selectedInterpreter(api, folder.folder);
      await folder.engine.setPython(choice);
    } catch (error) {
      this.log.warn(`could not read the Python extension's interpreter for ${folder.folder.name}: ${String(error)}`);
    }
  }

  /** The Python extension's API, once it is installed; undefined (and asked again later) until then. */
  private pythonApi(): Promise<PythonExtension | undefined> {
    if (this.api) return this.api;
    if (!vscode.extensions.getExtension(PYTHON_EXTENSION_ID)) return Promise.resolve(undefined);
    this.api = PythonExtension.api().then(
      (api) => {
        this._register(api.environments.onDidChangeActiveEnvironmentPath(() => void this.sync()));
        this.log.info('wsgi and asgi mounts use the interpreter the Python extension selected for their folder');
        return api;
      },
      (error: unknown) => {
        this.log.warn(`the Python extension's API is not available: ${String(error)}`);
        return undefined;
      },
    );
    return this.api;
  }
}

async function selectedInterpreter(api: PythonExtension, folder: vscode.WorkspaceFolder): Promise<PythonChoice | undefined> {
  const selected = api.environments.getActiveEnvironmentPath(folder.uri);
  const resolved = await api.environments.resolveEnvironment(selected);
  const executable = resolved?.executable.uri?.fsPath ?? selected.path;
  return executable ? { command: executable, source: SOURCE } : undefined;
}
