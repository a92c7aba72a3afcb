/**
 * The engine's Logger port written to the "Mounts" LogOutputChannel. Lines from an app carry its
 * mount's name (`[blog] ...`); with several folders, each line also names its folder.
 */
import * as vscode from 'vscode';
import { describeError, type Logger } from '../engine/logger';

export function createLogChannel(): vscode.LogOutputChannel {
  return vscode.window.createOutputChannel('Mounts', { log: true });
}

/** A Logger for one folder's engine; `folderLabel()` is asked per line because folders come and go. */
export class ChannelLogger implements Logger {
  constructor(
    private readonly channel: vscode.LogOutputChannel,
    private readonly folderLabel: () => string | undefined,
  ) {}

  info(message: string, source?: string): void {
    this.channel.info(this.tag(message, source));
  }

  warn(message: string, source?: string): void {
    this.channel.warn(this.tag(message, source));
  }

  error(message: string, error?: unknown, source?: string): void {
    // The stack is part of the line so it stays next to the message it explains.
    const text = error === undefined ? message : `${message}\n${describeError(error)}`;
    this.channel.error(this.tag(text, source));
  }

  access(line: string): void {
    this.channel.info(this.tag(line));
  }

  private tag(message: string, source?: string): string {
    const folder = this.folderLabel();
    return `${folder ? `(${folder}) ` : ''}${source ? `[${source}] ` : ''}${message}`;
  }
}
