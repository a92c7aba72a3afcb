/**
 * The engine's Logger port written to the "Mounts" LogOutputChannel. Lines from an app carry its
 * mount's name (`[blog] ...`); with several folders, each line also names its folder.
 *
 * The channel keeps the last messages it wrote (`recentLog()`): VS Code gives no way to read an
 * output channel back, and the API offers them so that tests and other extensions can see that a
 * command's output reached the log.
 */
import * as vscode from 'vscode';
import type { Logger } from '../engine/index';
import { describeError } from '../engineProcess/client';

/** How many messages `recentLog()` keeps. */
export const RECENT_LOG_SIZE = 500;

export function createLogChannel(): RecordingLogChannel {
  return new RecordingLogChannel(vscode.window.createOutputChannel('Mounts', { log: true }));
}

const LEVEL_NAMES: Record<vscode.LogLevel, string> = {
  [vscode.LogLevel.Off]: 'off',
  [vscode.LogLevel.Trace]: 'trace',
  [vscode.LogLevel.Debug]: 'debug',
  [vscode.LogLevel.Info]: 'info',
  [vscode.LogLevel.Warning]: 'warning',
  [vscode.LogLevel.Error]: 'error',
};

/** The channel, unchanged, plus a record of the messages written through it. */
export class RecordingLogChannel implements vscode.LogOutputChannel {
  private readonly recent: string[] = [];

  constructor(private readonly channel: vscode.LogOutputChannel) {}

  /**
   * The last messages written, oldest first, as `[info] [blog] listening` (the level, then the
   * message as the channel shows it). Messages below the channel's log level are not written, so
   * not kept either.
   */
  recentLog(): readonly string[] {
    return [...this.recent];
  }

  get name(): string {
    return this.channel.name;
  }

  get logLevel(): vscode.LogLevel {
    return this.channel.logLevel;
  }

  get onDidChangeLogLevel(): vscode.Event<vscode.LogLevel> {
    return this.channel.onDidChangeLogLevel;
  }

  trace(message: string, ...args: unknown[]): void {
    this.record(vscode.LogLevel.Trace, message, args);
    this.channel.trace(message, ...args);
  }

  debug(message: string, ...args: unknown[]): void {
    this.record(vscode.LogLevel.Debug, message, args);
    this.channel.debug(message, ...args);
  }

  info(message: string, ...args: unknown[]): void {
    this.record(vscode.LogLevel.Info, message, args);
    this.channel.info(message, ...args);
  }

  warn(message: string, ...args: unknown[]): void {
    this.record(vscode.LogLevel.Warning, message, args);
    this.channel.warn(message, ...args);
  }

  error(error: string | Error, ...args: unknown[]): void {
    this.record(vscode.LogLevel.Error, typeof error === 'string' ? error : describeError(error), args);
    this.channel.error(error, ...args);
  }

  append(value: string): void {
    this.channel.append(value);
  }

  appendLine(value: string): void {
    // A log channel writes an appended line at the info level.
    this.record(vscode.LogLevel.Info, value, []);
    this.channel.appendLine(value);
  }

  replace(value: string): void {
    this.channel.replace(value);
  }

  clear(): void {
    this.channel.clear();
  }

  show(columnOrPreserveFocus?: vscode.ViewColumn | boolean, preserveFocus?: boolean): void {
    if (typeof columnOrPreserveFocus === 'number') this.channel.show(columnOrPreserveFocus, preserveFocus);
    else this.channel.show(columnOrPreserveFocus);
  }

  hide(): void {
    this.channel.hide();
  }

  dispose(): void {
    this.channel.dispose();
  }

  private record(level: vscode.LogLevel, message: string, args: readonly unknown[]): void {
    const threshold = this.channel.logLevel;
    if (threshold === vscode.LogLevel.Off || level < threshold) return;
    const text = args.length ? [message, ...args.map((arg) => String(arg))].join(' ') : message;
    this.recent.push(`[${LEVEL_NAMES[level]}] ${text}`);
    if (this.recent.length > RECENT_LOG_SIZE) this.recent.splice(0, this.recent.length - RECENT_LOG_SIZE);
  }
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
