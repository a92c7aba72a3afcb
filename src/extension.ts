/**
 * Composition root: one engine client per workspace folder with a mounts.json, and the UI that
 * adapts them. Each served folder's engine runs in its own process on the user's Node
 * (`mounts.node`); the extension host runs no app code. Activation reads the configs and nothing
 * else; a server starts only on request or with `mounts.autoStart`.
 */
import * as vscode from 'vscode';
import { EngineClient } from './engineProcess/client';
import { AgentTools } from './ui/agentTools';
import { createApi, type MountsApi } from './ui/api';
import { AppErrorForwarder } from './ui/appErrors';
import { Commands } from './ui/commands';
import { ContextKeysUpdater } from './ui/contextKeys';
import { ConfigDiagnostics } from './ui/diagnostics';
import { registerExportCommand } from './ui/export';
import { MountsFolders } from './ui/folders';
import { CrashNotifier, Lifecycle } from './ui/lifecycle';
import { liveReloadSetting, Preview } from './ui/preview';
import { ChannelLogger, createLogChannel } from './ui/log';
import * as settings from './ui/settings';
import { MountsStatusBar } from './ui/statusBar';
import { createTreeView, MountsTreeProvider } from './ui/tree';
import { isRestricted, TrustHandler } from './ui/trust';
import { FileWatching } from './ui/watcher';
import { PythonInterpreters } from './ui/python';
import { registerTrustCommand } from './ui/localCa';

let folders: MountsFolders | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<MountsApi> {
  const log = createLogChannel();
  context.subscriptions.push(log);

  folders = new MountsFolders(
    (configFile, folder) =>
      new EngineClient({
        configFile,
        runtime: () => settings.nodeRuntime(folder),
        logger: new ChannelLogger(log, () => ((vscode.workspace.workspaceFolders?.length ?? 0) > 1 ? folder.name : undefined)),
        restricted: isRestricted(),
        accessLog: settings.accessLog(),
        liveReload: liveReloadSetting(),
        https: () => settings.https(folder),
      }),
  );
  const all = folders;
  context.subscriptions.push(all);

  const lifecycle = new Lifecycle(log);
  const tree = new MountsTreeProvider(all);
  const statusBar = new MountsStatusBar(all);
  const agentTools = new AgentTools(all, context.asAbsolutePath('dist/cli.js'), log);
  context.subscriptions.push(
    agentTools,
    tree,
    createTreeView(tree, all),
    statusBar,
    new ContextKeysUpdater(all),
    new ConfigDiagnostics(all),
    new FileWatching(all, log),
    new TrustHandler(all, log),
    new PythonInterpreters(all, log),
    new AppErrorForwarder(all, log),
    new CrashNotifier(all, lifecycle),
    new Commands(all, lifecycle, log),
    registerExportCommand(),
    registerTrustCommand(context.asAbsolutePath('dist/cli.js'), () => settings.nodeRuntime(vscode.workspace.workspaceFolders?.[0])),
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
  return createApi(all, tree, () => statusBar.model, log, agentTools);
}

/** Resolves when every engine process has stopped and exited, and its port is free. */
export function deactivate(): Promise<void> | undefined {
  return folders?.stopAll();
}
