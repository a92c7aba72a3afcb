/**
 * File watching. The config file: created or deleted → the set of engines changes; saved while
 * serving → `engine.reload()` (an invalid edit keeps the old mounts serving and shows the errors);
 * saved while stopped → re-read so the tree shows it. Any other file of the folder changing while
 * serving → `engine.fileChanged()`, which hot-reloads the module apps that loaded it; that watcher
 * exists only while the folder serves, so activation watches nothing but the config files.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { errorMessage } from '../engineProcess/client';
import { KeyedDebouncer } from './debounce';
import { Disposable, disposeAll } from './dispose';
import type { MountsFolder, MountsFolders } from './folders';
import { configUriOf } from './settings';

const COALESCE_MS = 100;

export class FileWatching extends Disposable {
  private perFolder: vscode.Disposable[] = [];
  /** The whole-folder watcher of each serving folder. */
  private readonly filesWatchers = new Map<MountsFolder, vscode.Disposable>();
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
    this._register(this.folders.onDidChangeState(() => this.watchServingFolders()));
    this._register(this.folders.onDidChangeFolders(() => this.watchServingFolders()));
    this._register({ dispose: () => disposeAll(this.perFolder) });
    this._register({ dispose: () => disposeAll(this.filesWatchers.values()) });
    this.watchFolders();
  }

  /** Starts watching a folder's files when it starts serving, stops when it stops. */
  private watchServingFolders(): void {
    const serving = new Set(this.folders.list().filter((folder) => folder.engine.state === 'started'));
    for (const [folder, watcher] of this.filesWatchers) {
      if (serving.has(folder)) continue;
      watcher.dispose();
      this.filesWatchers.delete(folder);
    }
    for (const folder of serving) {
      if (!this.filesWatchers.has(folder)) this.filesWatchers.set(folder, this.watchFiles(folder));
    }
  }

  private watchFiles(folder: MountsFolder): vscode.Disposable {
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder.folder, '**/*'), true);
    const fileChanged = (uri: vscode.Uri) => {
      if (uri.toString() !== folder.configUri.toString() && folder.engine.state === 'started') void this.hotReload(folder, uri);
    };
    return vscode.Disposable.from(watcher, watcher.onDidChange(fileChanged), watcher.onDidDelete(fileChanged));
  }

  private watchFolders(): void {
    disposeAll(this.perFolder);
    this.perFolder = [];
    for (const workspaceFolder of vscode.workspace.workspaceFolders ?? []) {
      const configUri = configUriOf(workspaceFolder);
      const configWatcher = vscode.workspace.createFileSystemWatcher(
        new vscode.RelativePattern(vscode.Uri.joinPath(configUri, '..'), path.posix.basename(configUri.path)),
      );
      this.perFolder.push(
        configWatcher,
        configWatcher.onDidCreate(() => void this.folders.scan()),
        configWatcher.onDidDelete(() => void this.folders.scan()),
        configWatcher.onDidChange((uri) => {
          const folder = this.folders.byConfig(uri);
          if (folder) this.configChanged(folder);
          else void this.folders.scan();
        }),
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
