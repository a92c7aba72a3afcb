/**
 * Events and disposables in the shape VS Code uses (`Event<T>` is a function taking a listener),
 * so the editor layer can consume engine events directly without the engine importing 'vscode'.
 */

export interface Disposable {
  dispose(): void;
}

export type Event<T> = (listener: (value: T) => void) => Disposable;

export class Emitter<T> implements Disposable {
  private listeners = new Set<(value: T) => void>();

  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  fire(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch {
        // A failing listener must not stop the others or the engine.
      }
    }
  }

  dispose(): void {
    this.listeners.clear();
  }
}
