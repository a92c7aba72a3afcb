/**
 * File watching. The config file: created or deleted → the set of engines changes; saved while
 * serving → `engine.reload()` (an invalid edit keeps the old mounts serving and shows the errors);
 * saved while stopped → re-read so the tree shows it. Any other file of the folder changing while
 * serving → `engine.fileChanged()`, which hot-reloads the module apps that loaded it.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { errorMessage } from '../engine/logger';
import { KeyedDebouncer } from './debounce';
import { Disposable, disposeAll } from './dispose';
import type { MountsFolder, MountsFolders } from './folders';
import { configUriOf } from './settings';

const COALESCE_MS = 100;

export class FileWatching extends Disposable {
  private perFolder: vscode.Disposable[] = [];
  private readonly reloads = this._register(new KeyedDebouncer(COALESCE_MS));

  constructor(
    private readonly folders: MountsFolders,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this._register(vscode.workspace.onDidChangeWorkspaceFolders(() => this.watchFolders()));
    this._register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('mounts.configFile')) this.watchFolders();
      }),
    );
    // A save in the editor is the common case; reporting it directly does not wait on the watcher.
    this._register(
      vscode.workspace.onDidSaveTextDocument((document) => {
        const folder = this.folders.byConfig(document.uri);
        if (folder) this.configChanged(folder);
      }),
    );
    this._register({ dispose: () => disposeAll(this.perFolder) });
    this.watchFolders();
  }

  private watchFolders(): void {
    disposeAll(this.perFolder);
    this.perFolder = [];
    for (const workspaceFolder of vscode.workspace.workspaceFolders ?? []) {
      const configUri = configUriOf(workspaceFolder);
      const configWatcher = vscode.workspace.createFileSystemWatcher(
        new vscode.RelativePattern(vscode.Uri.joinPath(configUri, '..'), path.posix.basename(configUri.path)),
      );
      const isConfig = (uri: vscode.Uri) => uri.toString() === configUri.toString();
      const filesWatcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(workspaceFolder, '**/*'), true);
      const fileChanged = (uri: vscode.Uri) => {
        const folder = this.folders.get(workspaceFolder.uri);
        if (!isConfig(uri) && folder?.engine.state === 'started') void this.hotReload(folder, uri);
      };
      this.perFolder.push(
        configWatcher,
        filesWatcher,
        configWatcher.onDidCreate(() => void this.folders.scan()),
        configWatcher.onDidDelete(() => void this.folders.scan()),
        configWatcher.onDidChange((uri) => {
          const folder = this.folders.byConfig(uri);
          if (folder) this.configChanged(folder);
          else void this.folders.scan();
        }),
        filesWatcher.onDidChange(fileChanged),
        filesWatcher.onDidDelete(fileChanged),
      );
    }
    void this.folders.scan();
  }

  /** The save event and the watcher both report one save: coalesce them into one reload. */
  private configChanged(folder: MountsFolder): void {
    this.reloads.schedule(folder.configUri.toString(), () => void this.reloadConfig(folder));
  }

  private async reloadConfig(folder: MountsFolder): Promise<void> {
    try {
      // reload() is queued behind a start in flight, so a save while starting is not lost; on a
      // stopped engine it only reads the file.
      const result = await folder.engine.reload();
      if (result.problems.length && folder.engine.state === 'started') {
        this.log.warn(`${folder.configUri.fsPath} has ${result.problems.length} problem(s); still serving the previous mounts`);
      }
      for (const error of result.errors) this.log.error(error);
    } catch (error) {
      this.log.error(`reloading ${folder.configUri.fsPath} failed: ${errorMessage(error)}`);
    }
  }

  private async hotReload(folder: MountsFolder, uri: vscode.Uri): Promise<void> {
    try {
      const reloaded = await folder.engine.fileChanged(uri.fsPath);
      if (reloaded.length) this.log.info(`${path.basename(uri.fsPath)} changed: reloaded ${reloaded.join(', ')}`);
    } catch (error) {
      this.log.error(`hot reload after ${uri.fsPath} changed failed: ${errorMessage(error)}`);
    }
  }
}
