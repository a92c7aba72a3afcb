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

const REJECTION_GRACE_MS = 1000;

export class AppErrorForwarder extends Disposable {
  constructor(
    private readonly folders: MountsFolders,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    const onException = (error: unknown) => this.forward(error, 'uncaught error');
    // As the extension host does, a rejection counts as unhandled only if no handler comes within a second.
    const pending = new Map<Promise<unknown>, NodeJS.Timeout>();
    const onRejection = (reason: unknown, promise: Promise<unknown>) => {
      pending.set(
        promise,
        setTimeout(() => {
          pending.delete(promise);
          this.forward(reason, 'unhandled promise rejection');
        }, REJECTION_GRACE_MS),
      );
    };
    const onHandled = (promise: Promise<unknown>) => {
      clearTimeout(pending.get(promise));
      pending.delete(promise);
    };
    process.on('uncaughtException', onException);
    process.on('unhandledRejection', onRejection);
    process.on('rejectionHandled', onHandled);
    this._register({
      dispose: () => {
        process.off('uncaughtException', onException);
        process.off('unhandledRejection', onRejection);
        process.off('rejectionHandled', onHandled);
        for (const timer of pending.values()) clearTimeout(timer);
        pending.clear();
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

/**
 * True when a frame of `stack` is a file of the workspace's own code under `dir`, as a CommonJS
 * path or an ES module URL. Frames in the folder's node_modules do not count: other extensions load
 * packages from there too (a formatter, a linter), and their errors are not an app's.
 */
export function stackRunsThrough(stack: string, dir: string): boolean {
  const asPath = dir.endsWith(path.sep) ? dir : dir + path.sep;
  const asUrl = pathToFileURL(asPath).href;
  return stack.split('\n').some((frame) => {
    const at = frame.includes(asPath) ? frame.indexOf(asPath) + asPath.length : frame.includes(asUrl) ? frame.indexOf(asUrl) + asUrl.length : -1;
    return at !== -1 && !frame.slice(at).includes('node_modules');
  });
}
