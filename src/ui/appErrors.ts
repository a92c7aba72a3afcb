/**
 * An app's error thrown outside a request (from a timer or an event handler) never reaches the
 * engine's error path: it goes to the extension host's own handler, which keeps the host alive and
 * logs it where users do not look. This sends the ones whose stack runs through a folder being
 * served to the Mounts log as well, with the stack. Errors from anything else (other extensions)
 * are left alone, and the host's own handling is unchanged: these listeners only observe.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as vscode from 'vscode';
import { describeError } from '../engine/logger';
import { Disposable } from './dispose';
import type { MountsFolders } from './folders';

export class AppErrorForwarder extends Disposable {
  constructor(
    private readonly folders: MountsFolders,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    const onException = (error: unknown) => this.forward(error, 'uncaught error');
    const onRejection = (reason: unknown) => this.forward(reason, 'unhandled promise rejection');
    process.on('uncaughtException', onException);
    process.on('unhandledRejection', onRejection);
    this._register({
      dispose: () => {
        process.off('uncaughtException', onException);
        process.off('unhandledRejection', onRejection);
      },
    });
  }

  private forward(error: unknown, what: string): void {
    const stack = error instanceof Error ? (error.stack ?? '') : '';
    const folder = this.folders.list().find((candidate) => candidate.engine.state !== 'stopped' && stackRunsThrough(stack, path.dirname(candidate.configUri.fsPath)));
    if (!folder) return;
    this.log.error(`${what} in an app of ${folder.folder.name} (the server keeps running): ${describeError(error)}`);
  }
}

/** True when a frame of `stack` is a file under `dir`, as a CommonJS path or an ES module URL. */
export function stackRunsThrough(stack: string, dir: string): boolean {
  const asPath = dir.endsWith(path.sep) ? dir : dir + path.sep;
  const asUrl = pathToFileURL(asPath).href;
  return stack.includes(asPath) || stack.includes(asUrl);
}
