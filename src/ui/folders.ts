/**
 * The engines of the workspace: one per workspace folder whose config file (`mounts.json`, or
 * `mounts.configFile`) exists. `scan()` brings the set up to date when folders, settings or config
 * files come and go; an engine whose folder or file goes away is stopped and disposed.
 */
import * as vscode from 'vscode';
import type { AppError, EngineClient, EngineCrash } from '../engineProcess/client';
import { Disposable } from './dispose';
import { configUriOf } from './settings';
import { folderState, type FolderState } from './state';

/** Builds a folder's engine client; given by the composition root, so the UI never constructs engine parts. */
export type EngineFactory = (configFile: string, folder: vscode.WorkspaceFolder) => EngineClient;

export interface MountsFolder {
  readonly folder: vscode.WorkspaceFolder;
  readonly configUri: vscode.Uri;
  /** The folder's engine, reached through its process's client. */
  readonly engine: EngineClient;
  readonly state: FolderState;
}

interface FolderEvents {
  state(entry: MountsFolder): void;
  mounts(entry: MountsFolder): void;
  appError(event: { readonly folder: MountsFolder; readonly error: AppError }): void;
  crash(event: { readonly folder: MountsFolder; readonly crash: EngineCrash }): void;
}

class Entry implements MountsFolder {
  private readonly subscriptions: { dispose(): void }[] = [];

  constructor(
    readonly folder: vscode.WorkspaceFolder,
    readonly configUri: vscode.Uri,
    readonly engine: EngineClient,
    events: FolderEvents,
  ) {
    this.subscriptions.push(
      engine.onDidChangeState(() => events.state(this)),
      engine.onDidChangeMounts(() => events.mounts(this)),
      engine.onAppError((error) => events.appError({ folder: this, error })),
      engine.onDidCrash((crash) => events.crash({ folder: this, crash })),
    );
  }

  get state(): FolderState {
    return folderState(this.engine);
  }

  /** Stops the engine; resolves when its port is free. */
  async close(): Promise<void> {
    for (const subscription of this.subscriptions) subscription.dispose();
    try {
      await this.engine.stop();
    } finally {
      this.engine.dispose();
    }
  }
}

export class MountsFolders extends Disposable {
  private readonly entries = new Map<string, Entry>();
  private scanning: Promise<void> | undefined;
  private rescan = false;

  private readonly _onDidChangeFolders = this._register(new vscode.EventEmitter<void>());
  /** Folders with an engine were added or removed. */
  readonly onDidChangeFolders = this._onDidChangeFolders.event;
  private readonly _onDidChangeState = this._register(new vscode.EventEmitter<MountsFolder>());
  /** A folder's engine changed state. */
  readonly onDidChangeState = this._onDidChangeState.event;
  private readonly _onDidChangeMounts = this._register(new vscode.EventEmitter<MountsFolder>());
  /** A folder's mounts, their status or its config problems changed. */
  readonly onDidChangeMounts = this._onDidChangeMounts.event;
  private readonly _onAppError = this._register(new vscode.EventEmitter<{ readonly folder: MountsFolder; readonly error: AppError }>());
  /** An app of a folder threw outside any request; its engine process ends on it. */
  readonly onAppError = this._onAppError.event;
  private readonly _onDidCrash = this._register(new vscode.EventEmitter<{ readonly folder: MountsFolder; readonly crash: EngineCrash }>());
  /** A folder's engine process ended without being asked to. */
  readonly onDidCrash = this._onDidCrash.event;

  constructor(private readonly createEngine: EngineFactory) {
    super();
  }

  /** In workspace folder order. */
  list(): MountsFolder[] {
    const order = vscode.workspace.workspaceFolders ?? [];
    return order.map((folder) => this.entries.get(folder.uri.toString())).filter((entry): entry is Entry => !!entry);
  }

  get(folderUri: vscode.Uri): MountsFolder | undefined {
    return this.entries.get(folderUri.toString());
  }

  /** The folder whose config file is `uri`. */
  byConfig(uri: vscode.Uri): MountsFolder | undefined {
    const key = uri.toString();
    return this.list().find((entry) => entry.configUri.toString() === key);
  }

  /**
   * Adds an engine for every folder whose config file exists (reading the config so the tree can
   * show it), and closes those whose folder or file is gone. Calls made during a scan are
   * coalesced into one more scan.
   */
  scan(): Promise<void> {
    if (this.scanning) {
      this.rescan = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      do {
        this.rescan = false;
        await this.scanOnce();
      } while (this.rescan && !this.isDisposed);
    })().finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  /** Stops every engine; resolves when every port is free. This is what deactivate() returns. */
  async stopAll(): Promise<void> {
    const results = await Promise.allSettled([...this.entries.values()].map((entry) => entry.engine.stop()));
    const failures = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failures.length) throw new AggregateError(failures.map((failure) => failure.reason), 'some engines failed to stop');
  }

  override dispose(): void {
    const entries = [...this.entries.values()];
    this.entries.clear();
    // Disposal is synchronous; the stop itself is what deactivate() waits for.
    for (const entry of entries) void entry.close().catch(() => undefined);
    super.dispose();
  }

  private async scanOnce(): Promise<void> {
    const wanted = new Map<string, { folder: vscode.WorkspaceFolder; configUri: vscode.Uri }>();
    await Promise.all(
      (vscode.workspace.workspaceFolders ?? []).map(async (folder) => {
        const configUri = configUriOf(folder);
        if (await isFile(configUri)) wanted.set(folder.uri.toString(), { folder, configUri });
      }),
    );
    if (this.isDisposed) return;
    let changed = false;
    const closing: Promise<void>[] = [];
    for (const [key, entry] of this.entries) {
      const want = wanted.get(key);
      if (!want || want.configUri.toString() !== entry.configUri.toString() || want.folder.name !== entry.folder.name) {
        this.entries.delete(key);
        closing.push(entry.close());
        changed = true;
      }
    }
    const added: Entry[] = [];
    for (const [key, { folder, configUri }] of wanted) {
      if (this.entries.has(key)) continue;
      const entry = new Entry(
        folder,
        configUri,
        this.createEngine(configUri.fsPath, folder),
        {
          state: (e) => this._onDidChangeState.fire(e),
          mounts: (e) => this._onDidChangeMounts.fire(e),
          appError: (e) => this._onAppError.fire(e),
          crash: (e) => this._onDidCrash.fire(e),
        },
      );
      this.entries.set(key, entry);
      added.push(entry);
      changed = true;
    }
    await Promise.allSettled([...closing, ...added.map((entry) => entry.engine.readConfig())]);
    if (changed) this._onDidChangeFolders.fire();
  }
}

async function isFile(uri: vscode.Uri): Promise<boolean> {
  try {
    return ((await vscode.workspace.fs.stat(uri)).type & vscode.FileType.File) !== 0;
  } catch {
    return false;
  }
}
