/**
 * Starting, stopping and debugging a folder's engine on behalf of a person: failures become
 * notifications with something to do about them, instead of rejected promises nobody sees. An
 * engine process that crashes or stops answering says so, and offers Restart.
 */
import * as vscode from 'vscode';
import { EngineStartError, errorMessage, NodeRuntimeError } from '../engineProcess/client';
import { Disposable } from './dispose';
import type { MountsFolder, MountsFolders } from './folders';
import { openConfig, showProblems } from './reveal';
import * as settings from './settings';
import { browserUrl } from './urls';

export class Lifecycle {
  constructor(private readonly log: vscode.LogOutputChannel) {}

  /** Starts the folder's server; resolves true when it serves. Never rejects. */
  async start(folder: MountsFolder, options: { openBrowser?: boolean } = {}): Promise<boolean> {
    try {
      await folder.engine.start();
    } catch (error) {
      this.reportStartFailure(folder, error);
      return false;
    }
    if (options.openBrowser && settings.openBrowserOnStart()) {
      const url = await browserUrl(folder);
      if (url) await vscode.env.openExternal(url);
    }
    return true;
  }

  /** Stops the folder's server; resolves when its port is free. A free port picked for a run ends with it. */
  async stop(folder: MountsFolder): Promise<void> {
    try {
      await folder.engine.stop();
    } finally {
      folder.engine.setPortOverride(undefined);
    }
  }

  /** Also what brings back an engine process that crashed or stopped answering (it is killed). */
  async restart(folder: MountsFolder): Promise<boolean> {
    await folder.engine.stop();
    return this.start(folder);
  }

  /**
   * Restarts the folder's engine process with the inspector on a free loopback port and attaches
   * VS Code's JavaScript debugger. Ending the debug session detaches; the server keeps serving.
   */
  async debug(folder: MountsFolder): Promise<boolean> {
    let port: number;
    try {
      ({ port } = await folder.engine.debug());
    } catch (error) {
      this.reportStartFailure(folder, error);
      return false;
    }
    this.log.info(`debugging ${folder.folder.name}: engine process ${folder.engine.pid}, inspector on 127.0.0.1:${port}`);
    const attached = await vscode.debug.startDebugging(folder.folder, {
      type: 'node',
      request: 'attach',
      name: `Mounts: ${folder.folder.name}`,
      address: '127.0.0.1',
      port,
      skipFiles: ['<node_internals>/**'],
      continueOnAttach: true,
    });
    if (!attached) {
      void this.offer(`Mounts: the debugger could not attach to 127.0.0.1:${port}.`, { 'Show Log': () => this.log.show() });
    }
    return attached;
  }

  /**
   * Starts on a free port for this run only: mounts.json and the settings stay as they are. The run
   * lasts until Stop (a Restart keeps to a free port); a start that fails is no run at all, so the
   * next plain Start uses the configured port again.
   */
  async startOnFreePort(folder: MountsFolder): Promise<boolean> {
    folder.engine.setPortOverride(0);
    const started = await this.start(folder, { openBrowser: true });
    if (!started) folder.engine.setPortOverride(undefined);
    return started;
  }

  private reportStartFailure(folder: MountsFolder, error: unknown): void {
    const message = errorMessage(error);
    const where = (vscode.workspace.workspaceFolders?.length ?? 0) > 1 ? ` (${folder.folder.name})` : '';
    this.log.error(`start failed${where}: ${message}`);
    if (error instanceof NodeRuntimeError) {
      void this.offer(`Mounts${where}: ${message}`, {
        'Open Settings': () => vscode.commands.executeCommand('workbench.action.openSettings', 'mounts.node'),
        'Show Log': () => this.log.show(),
      });
      return;
    }
    if (!(error instanceof EngineStartError)) {
      void this.offer(`Mounts${where} could not start: ${message}`, { 'Show Log': () => this.log.show() });
      return;
    }
    switch (error.reason) {
      case 'port':
        void this.offer(`Mounts${where}: ${message}.`, {
          'Open mounts.json': () => openConfig(folder, folder.engine.config?.portRange),
          'Use a Free Port': () => this.startOnFreePort(folder),
          'Show Log': () => this.log.show(),
        });
        return;
      case 'config':
        void this.offer(`Mounts${where}: mounts.json has ${error.problems.length === 1 ? 'a problem' : `${error.problems.length} problems`}.`, {
          'Show Problems': showProblems,
          'Open mounts.json': () => openConfig(folder, error.problems[0]),
        });
        return;
      default:
        void this.offer(`Mounts${where} could not start: ${message.split('\n')[0]}`, { 'Show Log': () => this.log.show() });
    }
  }

  /** An error notification whose buttons run their action; the notification may never be answered. */
  async offer(message: string, actions: Record<string, () => unknown>): Promise<void> {
    try {
      const choice = await vscode.window.showErrorMessage(message, ...Object.keys(actions));
      if (choice) await actions[choice]();
    } catch (error) {
      this.log.error(`${message}: ${errorMessage(error)}`);
    }
  }
}

/** Says when a folder's engine process crashed or stopped answering, and offers Restart. */
export class CrashNotifier extends Disposable {
  private readonly unresponsive = new Set<MountsFolder>();

  constructor(folders: MountsFolders, lifecycle: Lifecycle) {
    super();
    const where = (folder: MountsFolder) => ((vscode.workspace.workspaceFolders?.length ?? 0) > 1 ? ` (${folder.folder.name})` : '');
    this._register(
      folders.onDidCrash(({ folder, crash }) => {
        void lifecycle.offer(`Mounts${where(folder)}: ${crash.reason}.`, { Restart: () => lifecycle.restart(folder), 'Show Log': () => vscode.commands.executeCommand('mounts.showLog') });
      }),
    );
    this._register(
      folders.onDidChangeState((folder) => {
        if (folder.state !== 'unresponsive') {
          this.unresponsive.delete(folder);
          return;
        }
        if (this.unresponsive.has(folder)) return;
        this.unresponsive.add(folder);
        void lifecycle.offer(`Mounts${where(folder)}: the engine process is not responding.`, { Restart: () => lifecycle.restart(folder), 'Show Log': () => vscode.commands.executeCommand('mounts.showLog') });
      }),
    );
  }
}
