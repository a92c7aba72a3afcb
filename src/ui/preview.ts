/**
 * The live loop in the editor: `mounts.openPreview` opens a mount in an editor tab, and the setting
 * `mounts.liveReload` switches live reload for every engine.
 *
 * The tab is VS Code's integrated browser (`workbench.action.browser.open`) when this VS Code has
 * it, else the Simple Browser (`simpleBrowser.api.open`), else the external browser. The URL goes
 * through `asExternalUri` (`browserUrl`), so remote windows and Codespaces get their forwarded
 * address; the page builds its live socket's URL from its own location, so reloads work there too.
 */
import * as vscode from 'vscode';
import type { MountInfo } from '../engine/index';
import { Disposable } from './dispose';
import type { MountsFolder, MountsFolders } from './folders';
import { isMountNode } from './pick';
import { browserUrl } from './urls';

const INTEGRATED_BROWSER = 'workbench.action.browser.open';
const SIMPLE_BROWSER = 'simpleBrowser.api.open';

/** `mounts.liveReload` (default on): whether pages get the live reload script. */
export function liveReloadSetting(): boolean {
  return vscode.workspace.getConfiguration('mounts').get<boolean>('liveReload', true);
}

/** Where the preview went: for tests and for the command's caller. */
export interface PreviewOpened {
  readonly url: string;
  readonly via: 'integrated' | 'simpleBrowser' | 'external';
}

export class Preview extends Disposable {
  constructor(private readonly folders: MountsFolders) {
    super();
    this._register(vscode.commands.registerCommand('mounts.openPreview', (arg?: unknown) => this.open(arg)));
    this._register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (!event.affectsConfiguration('mounts.liveReload')) return;
        const enabled = liveReloadSetting();
        for (const folder of this.folders.list()) folder.engine.setLiveReload(enabled);
      }),
    );
  }

  /** Opens a mount (a tree item's, or one picked among the serving folders') in an editor tab. */
  async open(arg?: unknown): Promise<PreviewOpened | undefined> {
    const target = isMountNode(arg) ? { folder: arg.folder, mount: arg.mount } : await this.pick();
    if (!target) return undefined;
    const uri = await browserUrl(target.folder, target.mount.spec);
    if (!uri) {
      void vscode.window.showInformationMessage('Mounts is not serving. Start it first.');
      return undefined;
    }
    const url = uri.toString(true);
    const commands = await vscode.commands.getCommands(true);
    if (commands.includes(INTEGRATED_BROWSER)) {
      await vscode.commands.executeCommand(INTEGRATED_BROWSER, url);
      return { url, via: 'integrated' };
    }
    try {
      // The Simple Browser shows one page in one tab, which it reuses for the next open. Its API
      // command is registered only once the built-in extension activates (on this very command), so
      // it is not in getCommands() before the first use: try it, and fall back when it is missing.
      await vscode.commands.executeCommand(SIMPLE_BROWSER, uri, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true });
      return { url, via: 'simpleBrowser' };
    } catch {
      // No Simple Browser in this editor (it is a built-in extension that can be disabled).
    }
    await vscode.env.openExternal(uri);
    return { url, via: 'external' };
  }

  private async pick(): Promise<{ folder: MountsFolder; mount: MountInfo } | undefined> {
    const choices = this.folders
      .list()
      .filter((folder) => folder.state === 'serving')
      .flatMap((folder) => folder.engine.mounts().map((mount) => ({ label: mount.spec.name, description: mount.url ?? mount.id, folder, mount })));
    if (choices.length === 0) {
      void vscode.window.showInformationMessage('Mounts is not serving. Start it first.');
      return undefined;
    }
    return choices.length === 1 ? choices[0] : vscode.window.showQuickPick(choices, { placeHolder: 'Preview which mount?' });
  }
}
