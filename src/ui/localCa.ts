/**
 * `mounts.trustLocalCa`: installs Mounts' local certificate authority (for `"https": true` and
 * the `mounts.https` setting) by running `mounts trust` in a terminal. A terminal because the
 * system store needs root: sudo asks for the password there, and every command is shown as it
 * runs; nothing is trusted without this explicit step.
 */
import * as vscode from 'vscode';
import type { NodeRuntime } from '../engineProcess/client';

export function registerTrustCommand(cli: string, runtime: () => Promise<NodeRuntime>): vscode.Disposable {
  return vscode.commands.registerCommand('mounts.trustLocalCa', async (uninstall?: unknown) => {
    const node = await runtime();
    const terminal = vscode.window.createTerminal({
      name: uninstall === true ? 'Mounts: untrust local CA' : 'Mounts: trust local CA',
      // Node itself is the terminal's process: no shell, so no quoting of either path.
      shellPath: node.execPath,
      shellArgs: [cli, 'trust', ...(uninstall === true ? ['--uninstall'] : [])],
      env: { ...node.env },
    });
    terminal.show();
    return terminal;
  });
}
