/**
 * The status bar item. `statusModel` sums up every folder's state; `render` draws the item from
 * that model alone, on every change.
 */
import * as vscode from 'vscode';
import { Disposable } from './dispose';
import type { MountsFolder, MountsFolders } from './folders';
import { describeFolderState, type FolderState } from './state';

export interface StatusModel {
  /** The most telling state over all folders: error, then starting/stopping, then serving. */
  readonly state: FolderState;
  readonly text: string;
  readonly tooltip: string;
  readonly visible: boolean;
}

const ICONS: Record<FolderState, string> = {
  stopped: '$(circle-slash)',
  starting: '$(loading~spin)',
  serving: '$(radio-tower)',
  stopping: '$(loading~spin)',
  error: '$(error)',
  unresponsive: '$(warning)',
};
const PRECEDENCE: FolderState[] = ['error', 'unresponsive', 'starting', 'stopping', 'serving', 'stopped'];

export function statusModel(folders: readonly MountsFolder[]): StatusModel {
  const states = folders.map((folder) => folder.state);
  const state = PRECEDENCE.find((candidate) => states.includes(candidate)) ?? 'stopped';
  const serving = folders.filter((folder) => folder.state === 'serving');
  let text = `${ICONS[state]} Mounts`;
  if (state === 'serving') {
    const ports = serving.map((folder) => `:${folder.engine.port}`).join(' ');
    const count = serving.reduce((sum, folder) => sum + folder.engine.mounts().length, 0);
    text += ` ${ports} (${count} mount${count === 1 ? '' : 's'})`;
  } else if (state !== 'stopped') {
    text += ` ${describeFolderState(state)}`;
  }
  const lines = folders.map((folder) => {
    const name = folders.length > 1 ? `${folder.folder.name}: ` : '';
    const runtime = folder.engine.runtime;
    const on = runtime ? ` on Node ${runtime.version}` : '';
    if (folder.state === 'serving') return `${name}serving ${folder.engine.mounts().length} mounts at ${folder.engine.url}${on}`;
    if (folder.state === 'error') return `${name}error: ${folder.engine.lastError ?? 'unknown'}`;
    return `${name}${describeFolderState(folder.state)}`;
  });
  const hint = state === 'serving' || state === 'unresponsive' ? 'Click for actions' : state === 'stopped' || state === 'error' ? 'Click to start' : '';
  return { state, text, tooltip: [...lines, hint].filter(Boolean).join('\n'), visible: folders.length > 0 };
}

export function renderStatusBar(item: vscode.StatusBarItem, model: StatusModel): void {
  item.text = model.text;
  item.tooltip = model.tooltip;
  item.backgroundColor =
    model.state === 'error'
      ? new vscode.ThemeColor('statusBarItem.errorBackground')
      : model.state === 'unresponsive'
        ? new vscode.ThemeColor('statusBarItem.warningBackground')
        : undefined;
  item.command = 'mounts.statusBarClicked';
  if (model.visible) item.show();
  else item.hide();
}

export class MountsStatusBar extends Disposable {
  private readonly item = this._register(vscode.window.createStatusBarItem('mounts.status', vscode.StatusBarAlignment.Left, 10));
  private _model: StatusModel;

  constructor(folders: MountsFolders) {
    super();
    this.item.name = 'Mounts';
    this._model = statusModel(folders.list());
    const update = () => {
      this._model = statusModel(folders.list());
      renderStatusBar(this.item, this._model);
    };
    this._register(folders.onDidChangeFolders(update));
    this._register(folders.onDidChangeState(update));
    this._register(folders.onDidChangeMounts(update));
    renderStatusBar(this.item, this._model);
  }

  /** What the item shows now. */
  get model(): StatusModel {
    return this._model;
  }
}
