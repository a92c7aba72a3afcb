/**
 * Disposables the way VS Code's own extensions hold them (markdown-language-features
 * `util/dispose.ts`): a base class that owns what it `_register`s and releases all of it once.
 */
import type * as vscode from 'vscode';

/** Disposes every item, even when some throw; then throws one AggregateError for the failures. */
export function disposeAll(disposables: Iterable<vscode.Disposable>): void {
  const errors: unknown[] = [];
  for (const disposable of disposables) {
    try {
      disposable.dispose();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, 'Encountered errors while disposing of resources');
}

export abstract class Disposable implements vscode.Disposable {
  private _isDisposed = false;
  protected _disposables: vscode.Disposable[] = [];

  dispose(): void {
    if (this._isDisposed) return;
    this._isDisposed = true;
    // Reverse order: later registrations may depend on earlier ones.
    disposeAll(this._disposables.reverse());
    this._disposables = [];
  }

  protected _register<T extends vscode.Disposable>(value: T): T {
    if (this._isDisposed) value.dispose();
    else this._disposables.push(value);
    return value;
  }

  protected get isDisposed(): boolean {
    return this._isDisposed;
  }
}
