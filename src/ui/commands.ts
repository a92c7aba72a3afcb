/**
 * The commands. Each takes an optional target — a tree node or a folder URI — and otherwise acts
 * on the only folder it applies to, or asks which one (or all) when there are several.
 * Start/Stop/Restart/Open return what happened, for tests and other extensions.
 */
import * as vscode from 'vscode';
import type { MountSpec } from '../engine/index';
import { errorMessage, kindOf } from '../engineProcess/client';
import { CONFIG_TEMPLATE } from './configTemplate';
import { Disposable } from './dispose';
import type { MountsFolder, MountsFolders } from './folders';
import type { Lifecycle } from './lifecycle';
import { folderOf, isMountNode, pickFolders } from './pick';
import { openConfig, revealTarget } from './reveal';
import { configUriOf } from './settings';
import { canStart, canStop } from './state';
import { browserUrl } from './urls';

export class Commands extends Disposable {
  constructor(
    private readonly folders: MountsFolders,
    private readonly lifecycle: Lifecycle,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    const commands: Record<string, (arg?: unknown) => unknown> = {
      'mounts.start': (arg) => this.start(arg),
      'mounts.stop': (arg) => this.stop(arg),
      'mounts.restart': (arg) => this.restart(arg),
      'mounts.startOnFreePort': (arg) => this.startOnFreePort(arg),
      'mounts.openInBrowser': (arg) => this.openInBrowser(arg),
      'mounts.copyUrl': (arg) => this.copyUrl(arg),
      'mounts.openConfig': (arg) => this.openConfig(arg),
      'mounts.createConfig': (arg) => this.createConfig(arg),
      'mounts.showLog': () => this.log.show(),
      'mounts.reloadApp': (arg) => this.reloadApp(arg),
      'mounts.debug': (arg) => this.debug(arg),
      'mounts.revealTarget': (arg) => (isMountNode(arg) ? revealTarget(arg.folder, arg.mount.spec) : undefined),
      'mounts.revealInConfig': (arg) => (isMountNode(arg) ? openConfig(arg.folder, arg.mount.spec.range) : undefined),
      'mounts.statusBarClicked': () => this.statusBarClicked(),
    };
    for (const [id, handler] of Object.entries(commands)) {
      this._register(vscode.commands.registerCommand(id, handler));
    }
  }

  /** Resolves true when every chosen folder serves. */
  async start(arg?: unknown): Promise<boolean> {
    const all = this.folders.list();
    if (all.length === 0) {
      this.offerCreate();
      return false;
    }
    const targets = await pickFolders(this.folders, arg, all.filter((f) => canStart(f.state)), 'Start which folder?', true);
    const results = await Promise.all(targets.map((folder) => this.lifecycle.start(folder, { openBrowser: true })));
    return targets.length > 0 && results.every(Boolean);
  }

  async stop(arg?: unknown): Promise<void> {
    const targets = await pickFolders(this.folders, arg, this.folders.list().filter((f) => canStop(f.state)), 'Stop which folder?', true);
    await Promise.all(targets.map((folder) => this.lifecycle.stop(folder)));
  }

  async restart(arg?: unknown): Promise<boolean> {
    const running = this.folders.list().filter((f) => f.state === 'serving' || f.state === 'unresponsive');
    const targets = await pickFolders(this.folders, arg, running.length ? running : this.folders.list(), 'Restart which folder?', true);
    const results = await Promise.all(targets.map((folder) => this.lifecycle.restart(folder)));
    return targets.length > 0 && results.every(Boolean);
  }

  async startOnFreePort(arg?: unknown): Promise<boolean> {
    const [folder] = await pickFolders(this.folders, arg, this.folders.list().filter((f) => canStart(f.state)), 'Start which folder on a free port?', false);
    return folder ? this.lifecycle.startOnFreePort(folder) : false;
  }

  /** (Re)starts a folder's engine process with the inspector and attaches the debugger; resolves true when attached. */
  async debug(arg?: unknown): Promise<boolean> {
    const all = this.folders.list();
    if (all.length === 0) {
      this.offerCreate();
      return false;
    }
    const serving = all.filter((f) => f.state === 'serving');
    const [folder] = await pickFolders(this.folders, arg, serving.length ? serving : all, 'Debug which folder?', false);
    return folder ? this.lifecycle.debug(folder) : false;
  }

  /** Opens the server root (or a mount) in the browser; resolves with the URL opened. */
  async openInBrowser(arg?: unknown): Promise<string | undefined> {
    const url = await this.urlFor(arg);
    if (url) await vscode.env.openExternal(url);
    return url?.toString(true);
  }

  /** Copies the URL of the server root (or a mount); resolves with it. */
  async copyUrl(arg?: unknown): Promise<string | undefined> {
    const url = await this.urlFor(arg);
    if (!url) return undefined;
    const text = url.toString(true);
    await vscode.env.clipboard.writeText(text);
    void vscode.window.setStatusBarMessage(`Copied ${text}`, 3000);
    return text;
  }

  async openConfig(arg?: unknown): Promise<void> {
    const all = this.folders.list();
    if (all.length === 0) {
      this.offerCreate();
      return;
    }
    const [folder] = await pickFolders(this.folders, arg, all, 'Open the mounts.json of which folder?', false);
    if (folder) await openConfig(folder);
  }

  /** Writes the commented template where the config belongs (or opens the existing one). */
  async createConfig(arg?: unknown): Promise<vscode.Uri | undefined> {
    const workspaceFolders = vscode.workspace.workspaceFolders ?? [];
    if (workspaceFolders.length === 0) {
      void vscode.window.showInformationMessage('Open a folder first: mounts.json lives in a workspace folder.');
      return undefined;
    }
    let folder: vscode.WorkspaceFolder | undefined =
      arg instanceof vscode.Uri ? vscode.workspace.getWorkspaceFolder(arg) : folderOf(this.folders, arg)?.folder;
    if (!folder) {
      const without = workspaceFolders.filter((f) => !this.folders.get(f.uri));
      folder = without.length === 1 ? without[0] : await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Create mounts.json in which folder?' });
    }
    if (!folder) return undefined;
    const uri = configUriOf(folder);
    const exists = await vscode.workspace.fs.stat(uri).then(() => true, () => false);
    if (!exists) {
      await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(CONFIG_TEMPLATE));
      await this.folders.scan();
    }
    await vscode.window.showTextDocument(uri, { preview: false });
    return uri;
  }

  /** Hot-reloads a module app or restarts a command app. */
  async reloadApp(arg?: unknown): Promise<void> {
    let target: { folder: MountsFolder; id: string } | undefined = isMountNode(arg) ? { folder: arg.folder, id: arg.mount.id } : undefined;
    if (!target) {
      const reloadable = this.folders
        .list()
        .filter((folder) => folder.state === 'serving')
        .flatMap((folder) =>
          folder.engine
            .mounts()
            .filter((mount) => kindOf(mount.spec).capabilities.reloadable)
            .map((mount) => ({ label: mount.spec.name, description: `${mount.spec.prefix} · ${mount.spec.kind}`, detail: folder.folder.name, folder, id: mount.id })),
        );
      if (reloadable.length === 0) {
        void vscode.window.showInformationMessage('No module or command mount is being served.');
        return;
      }
      target = reloadable.length === 1 ? reloadable[0] : await vscode.window.showQuickPick(reloadable, { placeHolder: 'Reload which app?' });
    }
    if (!target) return;
    try {
      await target.folder.engine.reloadApp(target.id);
      this.log.info(`reloaded ${target.id}`);
    } catch (error) {
      const message = errorMessage(error);
      this.log.error(`reloading ${target.id} failed: ${message}`);
      void vscode.window.showErrorMessage(`Mounts: reloading failed: ${message}`);
    }
  }

  /** Stopped: start. Running: offer what one does with a running server. */
  private async statusBarClicked(): Promise<void> {
    const all = this.folders.list();
    if (all.some((folder) => folder.state === 'serving' || folder.state === 'unresponsive')) {
      const actions: Record<string, () => unknown> = {
        '$(globe) Open in Browser': () => this.openInBrowser(),
        '$(preview) Open Preview': () => vscode.commands.executeCommand('mounts.openPreview'),
        '$(debug-restart) Restart': () => this.restart(),
        '$(debug-alt) Debug': () => this.debug(),
        '$(debug-stop) Stop': () => this.stop(),
        '$(output) Show Log': () => this.log.show(),
      };
      const choice = await vscode.window.showQuickPick(Object.keys(actions), { placeHolder: 'Mounts' });
      if (choice) await actions[choice]();
      return;
    }
    if (all.some((folder) => canStart(folder.state))) await this.start();
  }

  private async urlFor(arg: unknown): Promise<vscode.Uri | undefined> {
    let folder: MountsFolder | undefined;
    let mount: MountSpec | undefined;
    if (isMountNode(arg)) {
      folder = arg.folder;
      mount = arg.mount.spec;
    } else {
      const serving = this.folders.list().filter((f) => f.state === 'serving');
      [folder] = await pickFolders(this.folders, arg, serving, 'Which folder?', false);
    }
    if (!folder || folder.state !== 'serving') {
      void vscode.window.showInformationMessage('Mounts is not serving. Start it first.');
      return undefined;
    }
    return browserUrl(folder, mount);
  }

  /** Not awaited: a notification may stay unanswered, the command must not hang on it. */
  private offerCreate(): void {
    void vscode.window.showInformationMessage('There is no mounts.json in this workspace.', 'Create mounts.json').then(async (choice) => {
      if (choice) await this.createConfig();
    });
  }
}
