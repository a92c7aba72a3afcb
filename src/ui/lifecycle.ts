/**
 * Starting and stopping a folder's engine on behalf of a person: failures become notifications
 * with something to do about them, instead of rejected promises nobody sees.
 */
import * as vscode from 'vscode';
import { EngineStartError } from '../engine/engine';
import { errorMessage } from '../engine/logger';
import type { MountsFolder } from './folders';
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

  async restart(folder: MountsFolder): Promise<boolean> {
    await folder.engine.stop();
    return this.start(folder);
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
  private async offer(message: string, actions: Record<string, () => unknown>): Promise<void> {
    try {
      const choice = await vscode.window.showErrorMessage(message, ...Object.keys(actions));
      if (choice) await actions[choice]();
    } catch (error) {
      this.log.error(`${message}: ${errorMessage(error)}`);
    }
  }
}
