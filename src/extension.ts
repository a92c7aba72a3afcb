/**
 * Composition root: builds one engine per workspace folder with a mounts.json, and the UI that
 * adapts them. Activation reads the configs and nothing else; a server starts only on request or
 * with `mounts.autoStart`.
 */
import * as vscode from 'vscode';
import { Engine } from './engine/engine';
import { createApi, type MountsApi } from './ui/api';
import { AppErrorForwarder } from './ui/appErrors';
import { Commands } from './ui/commands';
import { ContextKeysUpdater } from './ui/contextKeys';
import { ConfigDiagnostics } from './ui/diagnostics';
import { MountsFolders } from './ui/folders';
import { liveReloadSetting, Preview } from './ui/preview';
import { Lifecycle } from './ui/lifecycle';
import { ChannelLogger, createLogChannel } from './ui/log';
import * as settings from './ui/settings';
import { MountsStatusBar } from './ui/statusBar';
import { createTreeView, MountsTreeProvider } from './ui/tree';
import { isRestricted, TrustHandler } from './ui/trust';
import { FileWatching } from './ui/watcher';

let folders: MountsFolders | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<MountsApi> {
  const log = createLogChannel();
  context.subscriptions.push(log);

  folders = new MountsFolders(
    (configFile, folder) =>
      new Engine({
        configFile,
        logger: new ChannelLogger(log, () => ((vscode.workspace.workspaceFolders?.length ?? 0) > 1 ? folder.name : undefined)),
        restricted: isRestricted(),
        accessLog: settings.accessLog(),
        liveReload: liveReloadSetting(),
      }),
  );
  const all = folders;
  context.subscriptions.push(all);

  const lifecycle = new Lifecycle(log);
  const tree = new MountsTreeProvider(all);
  const statusBar = new MountsStatusBar(all);
  context.subscriptions.push(
    tree,
    createTreeView(tree),
    statusBar,
    new ContextKeysUpdater(all),
    new ConfigDiagnostics(all),
    new FileWatching(all, log),
    new TrustHandler(all, log),
    new AppErrorForwarder(all, log),
    new Commands(all, lifecycle, log),
    new Preview(all),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (!event.affectsConfiguration('mounts.accessLog')) return;
      const accessLog = settings.accessLog();
      for (const f of all.list()) f.engine.setAccessLog(accessLog);
    }),
  );

  await all.scan();
  for (const folder of all.list()) {
    if (settings.autoStart(folder.folder)) void lifecycle.start(folder, { openBrowser: true });
  }
  return createApi(all, tree, () => statusBar.model, log);
}

/** Resolves when every engine has stopped and its port is free. */
export function deactivate(): Promise<void> | undefined {
  return folders?.stopAll();
}
