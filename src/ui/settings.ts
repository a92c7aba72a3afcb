/** The extension's settings, read where they are needed so a change applies without a reload. */
import * as vscode from 'vscode';
import { resolveNode, type NodeRuntime } from '../engineProcess/client';

export const DEFAULT_CONFIG_FILE = 'mounts.json';

function section(scope?: vscode.ConfigurationScope): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration('mounts', scope);
}

/** The config file of a folder: `mounts.configFile`, relative to the folder unless absolute. */
export function configUriOf(folder: vscode.WorkspaceFolder): vscode.Uri {
  const configured = section(folder).get<string>('configFile')?.trim() || DEFAULT_CONFIG_FILE;
  if (configured.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(configured)) {
    return folder.uri.with({ path: vscode.Uri.file(configured).path });
  }
  return vscode.Uri.joinPath(folder.uri, configured);
}

export function autoStart(folder: vscode.WorkspaceFolder): boolean {
  return section(folder).get<boolean>('autoStart', false);
}

export function openBrowserOnStart(): boolean {
  return section().get<boolean>('openBrowserOnStart', false);
}

/** `mounts.https`: serve HTTPS even where mounts.json does not say `"https": true`. */
export function https(folder: vscode.WorkspaceFolder): boolean {
  return section(folder).get<boolean>('https', false);
}

export function accessLog(): boolean {
  return section().get<boolean>('accessLog', true);
}

/** Resolved runtimes by setting and PATH: asking a Node for its version costs a process start. */
const runtimes = new Map<string, Promise<NodeRuntime>>();

/** The Node that runs a folder's engine process: `mounts.node`, else `node` on the PATH, else the editor's. */
export function nodeRuntime(folder?: vscode.WorkspaceFolder): Promise<NodeRuntime> {
  const setting = section(folder).get<string>('node')?.trim() ?? '';
  const key = `${setting}\0${process.env.PATH ?? ''}`;
  let runtime = runtimes.get(key);
  if (!runtime) {
    runtime = resolveNode(setting);
    runtimes.set(key, runtime);
    // A failure is asked again next time: the user may be fixing the setting or installing Node.
    runtime.catch(() => runtimes.delete(key));
  }
  return runtime;
}
