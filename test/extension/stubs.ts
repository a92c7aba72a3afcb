/**
 * Answering the editor's prompts inside the host: a test replaces `vscode.window.showQuickPick`
 * (or `env.openExternal`, ...) with an answer and reads what the extension asked. The extension
 * and the tests share one `vscode` API object (same extension), so the replacement is what the
 * extension calls. Every replacement is undone by `restore()`, which each suite runs afterEach.
 */

// Prompts have overloads; a fake only needs to accept what they are called with.
type AnyFunction = (...args: any[]) => unknown;

export class Stubs {
  private readonly restores: (() => void)[] = [];

  /**
   * Replaces `object[key]` with `fake` (which gives the answer) until `restore()`. Returns the
   * arguments of every call, in order.
   */
  replace<T extends object>(object: T, key: keyof T & string, fake: AnyFunction): unknown[][] {
    const calls: unknown[][] = [];
    const original = object[key];
    (object as Record<string, unknown>)[key] = (...args: unknown[]) => {
      calls.push(args);
      return fake(...args);
    };
    this.restores.push(() => {
      (object as Record<string, unknown>)[key] = original;
    });
    return calls;
  }

  /** Puts every replaced function back, last first. */
  restore(): void {
    for (let restore = this.restores.pop(); restore; restore = this.restores.pop()) restore();
  }
}
