/**
 * An app's error thrown outside a request (from a timer or an event handler) never reaches the
 * engine's error path. The engine process reports it, with its stack, and ends (the folder goes to
 * error, with Restart); this writes the stack to the Mounts log, naming the folder. Apps run in their
 * engine's process, so the extension host has no error listener of its own to install.
 */
import type * as vscode from 'vscode';
import { Disposable } from './dispose';
import type { MountsFolders } from './folders';

export class AppErrorForwarder extends Disposable {
  constructor(folders: MountsFolders, log: vscode.LogOutputChannel) {
    super();
    this._register(
      folders.onAppError(({ folder, error }) => log.error(`${error.kind} in an app of ${folder.folder.name} (it ended the engine process; Restart serves again): ${error.error}`)),
    );
  }
}
