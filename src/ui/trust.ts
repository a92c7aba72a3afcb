/**
 * Workspace trust. Untrusted (Restricted Mode): engines refuse module and command mounts, which run
 * workspace code, and serve the rest. Once trusted, the refused mounts start without a restart.
 */
import * as vscode from 'vscode';
import { Disposable } from './dispose';
import type { MountsFolders } from './folders';

export class TrustHandler extends Disposable {
  constructor(folders: MountsFolders, log: vscode.LogOutputChannel) {
    super();
    this._register(
      vscode.workspace.onDidGrantWorkspaceTrust(async () => {
        log.info('workspace trusted: starting module and command mounts');
        const results = await Promise.allSettled(folders.list().map((folder) => folder.engine.setRestricted(false)));
        for (const result of results) {
          if (result.status === 'rejected') log.error(`leaving Restricted Mode failed: ${String(result.reason)}`);
        }
      }),
    );
  }
}

/** Whether new engines start restricted. */
export function isRestricted(): boolean {
  return !vscode.workspace.isTrusted;
}
