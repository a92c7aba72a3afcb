/**
 * Context keys for `when` clauses in package.json: Start shows only where something can start,
 * Stop only where something runs, the welcome views follow the config's presence and problems.
 */
import * as vscode from 'vscode';
import { Disposable } from './dispose';
import type { MountsFolder, MountsFolders } from './folders';
import { canStart, canStop } from './state';

export interface ContextKeys {
  readonly 'mounts.hasConfig': boolean;
  readonly 'mounts.canStart': boolean;
  readonly 'mounts.canStop': boolean;
  readonly 'mounts.hasProblems': boolean;
}

export function contextKeys(folders: readonly MountsFolder[]): ContextKeys {
  return {
    'mounts.hasConfig': folders.length > 0,
    'mounts.canStart': folders.some((folder) => canStart(folder.state)),
    'mounts.canStop': folders.some((folder) => canStop(folder.state)),
    'mounts.hasProblems': folders.some((folder) => folder.engine.problems.length > 0),
  };
}

export class ContextKeysUpdater extends Disposable {
  private last: Partial<Record<string, boolean>> = {};

  constructor(folders: MountsFolders) {
    super();
    const update = () => this.render(contextKeys(folders.list()));
    this._register(folders.onDidChangeFolders(update));
    this._register(folders.onDidChangeState(update));
    this._register(folders.onDidChangeMounts(update));
    update();
  }

  private render(keys: ContextKeys): void {
    for (const [key, value] of Object.entries(keys)) {
      // setContext crosses to the renderer; only send what changed.
      if (this.last[key] === value) continue;
      this.last[key] = value;
      void vscode.commands.executeCommand('setContext', key, value);
    }
  }
}
