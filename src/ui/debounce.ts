/**
 * Runs the last action scheduled for a key once `delayMs` passed without another one for that key:
 * bursts of edits, or a save reported twice (the save event and the file watcher), become one run.
 */
import type * as vscode from 'vscode';

export class KeyedDebouncer implements vscode.Disposable {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly delayMs: number) {}

  schedule(key: string, action: () => void): void {
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        action();
      }, this.delayMs),
    );
  }

  /** Drops every pending action. */
  dispose(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
