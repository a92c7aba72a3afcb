/**
 * The state machine the engine and the editor's engine client share: one state setter that fires
 * `onDidChangeState` only on a real change, operations that run one at a time in call order, and
 * start and stop memoized while pending (vscode-languageclient's `client.ts` does the same).
 *
 *                start()                  ready
 *   stopped ─────────────▶ starting ─────────────────▶ started
 *      ▲                      │ fails                       │ stop()
 *      │◀─────────────────────┘                         stopping
 *      └────────────────────────────────────────────────────┘
 *
 * What starting and stopping do is the owner's; this holds only the order and the state.
 * `LifecycleOwner` is the public half both owners share: the state, its event, start, stop, restart.
 */
import { Emitter, type Disposable } from '../events';

export type LifecycleState = 'stopped' | 'starting' | 'started' | 'stopping';

export class Lifecycle implements Disposable {
  private _state: LifecycleState = 'stopped';
  private readonly _onDidChangeState = new Emitter<LifecycleState>();
  /** Fires on every real state change (and when `announce` is called). */
  readonly onDidChangeState = this._onDidChangeState.event;
  private queue: Promise<unknown> = Promise.resolve();
  private pendingTransition: { readonly kind: 'start' | 'stop'; readonly promise: Promise<void> } | undefined;

  get state(): LifecycleState {
    return this._state;
  }

  /** The one way the state changes. */
  set(state: LifecycleState): void {
    if (this._state === state) return;
    this._state = state;
    this._onDidChangeState.fire(state);
  }

  /** Fires the current state again: something listeners draw beside it changed. */
  announce(): void {
    this._onDidChangeState.fire(this._state);
  }

  /**
   * Operations run one at a time in call order, so none of them sees another half done: a reload
   * queued behind a stop finds the owner stopped.
   */
  enqueue<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation, operation);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Queues a start or stop, unless the last one queued is the same kind and still pending. */
  transition(kind: 'start' | 'stop', operation: () => Promise<void>): Promise<void> {
    if (this.pendingTransition?.kind === kind) return this.pendingTransition.promise;
    const promise = this.enqueue(operation);
    const pending = { kind, promise };
    this.pendingTransition = pending;
    const settle = () => {
      if (this.pendingTransition === pending) this.pendingTransition = undefined;
    };
    promise.then(settle, settle);
    return promise;
  }

  dispose(): void {
    this._onDidChangeState.dispose();
  }
}

/**
 * The engine and the editor's engine client alike: start and stop memoized over one Lifecycle,
 * restart as a stop then a start. The owner says what starting and stopping do; its `doStart`
 * and `doStop` change the state through `lifecycle.set`, and `doStop` lands in 'stopped' in
 * `finally` whatever stopping managed.
 */
export abstract class LifecycleOwner implements Disposable {
  protected readonly lifecycle = new Lifecycle();
  /** Fires on every real state change. */
  readonly onDidChangeState = this.lifecycle.onDidChangeState;

  get state(): LifecycleState {
    return this.lifecycle.state;
  }

  /** Starts; while a start is queued or running, returns that same promise. */
  start(): Promise<void> {
    return this.lifecycle.transition('start', () => this.doStart());
  }

  /** Stops; while a stop is queued or running, returns that same promise. */
  stop(): Promise<void> {
    return this.lifecycle.transition('stop', () => this.doStop());
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  dispose(): void {
    void this.stop();
    this.lifecycle.dispose();
  }

  /** Runs in the queue; nothing to do when already started. */
  protected abstract doStart(): Promise<void>;
  /** Runs in the queue, or inside a queued operation that must stop; nothing to do when stopped. */
  protected abstract doStop(): Promise<void>;
}

/**
 * Runs `work`, which pushes each failed part onto `failures` and goes on, giving up waiting after
 * `ms` with a failure that says so.
 */
export async function withinDeadline(ms: number, failures: unknown[], work: () => Promise<void>): Promise<void> {
  let deadline: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      work(),
      new Promise<void>((resolve) => {
        deadline = setTimeout(() => {
          failures.push(new Error(`stopping took longer than ${ms / 1000} s; gave up waiting`));
          resolve();
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(deadline);
  }
}

/** `fire` at most once per tick however often the returned function is called (bursts of counters). */
export function oncePerTick(fire: () => void): () => void {
  let scheduled = false;
  return () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      fire();
    });
  };
}
