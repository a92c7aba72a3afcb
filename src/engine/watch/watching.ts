/**
 * The engine's one file-watching service: the CLI's --watch, the live loop, the static cache and
 * the Python apps all watch through it, and the engine closes it on stop, so no watch outlives the
 * engine. It is handed to the apps in their context, never reached as a global: a test makes its own.
 *
 * Two kinds of watch, for two needs measured apart:
 *
 * - `subscribe`: a folder and everything below it, on @parcel/watcher (the watcher VS Code itself
 *   uses), in batches. Not Node's `fs.watch(dir, {recursive})` or chokidar: on Linux, Node 20
 *   emulates recursive watching with one watch per file, and a file replaced by a rename (vim,
 *   `sed -i`, an editor's safe write, `git checkout`) is watched by nobody afterwards; it cannot
 *   skip a folder either. Measured on this machine (2 000 files in 100 folders, 50 atomic saves each
 *   started as soon as the last one was reported): @parcel/watcher saw 50 of 50, ready in 35-80 ms
 *   at ~50 MB RSS; chokidar 4 saw 25 of 50 (ready in 0.5-1 s) and, with saves 20 ms apart, never
 *   reported the last ones at all. It follows renamed and re-created folders below the root, and
 *   leaves out the ignored folders (`ignore.ts`) without placing a watch in them. Subscribers of one
 *   folder share one native subscription.
 * - `watchEntries`: one folder's own entries, not recursive, on a plain `fs.watch`. The static
 *   cache needs this: it must hear of a write before it answers the next request, and
 *   @parcel/watcher holds every batch for at least 50 ms (its debounce) while a folder's inotify
 *   event arrives in 0.2 to 15 ms (measured, 10 writes each). A folder watch reports every create,
 *   delete, rename and write of its children by name, whatever inode the name points to now.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AsyncSubscription, Event as NativeEvent, Options as NativeOptions, SubscribeCallback } from '@parcel/watcher';
import type { Disposable } from '../events';
import { expandFolders } from './expand';
import { IGNORED_GLOBS, isIgnoredBelow } from './ignore';

export interface WatchOptions {
  /** True for an absolute path this subscriber never wants (beyond the folders no watch reports). */
  readonly ignore?: (file: string) => boolean;
  /** The watch itself failed (an inotify limit, say): changes may go unreported from now on. */
  readonly onError?: (error: Error) => void;
}

/** Gets each batch of changed absolute paths; a folder comes with every file below it. */
export type OnChanges = (files: readonly string[]) => void;

export interface FileWatching {
  /**
   * Watches `folder` and everything below it; resolves once the watch is in place, so a change made
   * after that is reported. Rejects when it cannot be watched (missing, no native watcher).
   */
  subscribe(folder: string, options: WatchOptions, onChanges: OnChanges): Promise<Disposable>;
  /**
   * Watches the entries of `folder` itself, reporting each event at once with the entry's name
   * (undefined when the system could not say which: anything may have changed). Throws when the
   * folder cannot be watched.
   */
  watchEntries(folder: string, onEntry: (name: string | undefined) => void, onError: (error: Error) => void): Disposable;
  /** Ends every watch; resolves when the native ones are gone. The service can be used again after. */
  close(): Promise<void>;
}

/** @parcel/watcher's `subscribe`; a test may wrap the real one to count what reaches it. */
export type NativeSubscribe = (dir: string, callback: SubscribeCallback, options?: NativeOptions) => Promise<AsyncSubscription>;

interface Subscriber {
  readonly options: WatchOptions;
  readonly onChanges: OnChanges;
}

/** One native subscription and everyone who listens to it. */
interface Shared {
  readonly folder: string;
  readonly subscribers: Set<Subscriber>;
  readonly native: Promise<AsyncSubscription>;
  /** Batches are expanded one after the other, so subscribers get them in order. */
  delivery: Promise<void>;
}

export class WatchService implements FileWatching {
  private readonly shared = new Map<string, Shared>();
  private readonly entryWatches = new Set<fs.FSWatcher>();
  /** Native unsubscriptions under way, by folder: `close()` waits for them, and so does a new subscription of that folder. */
  private readonly ending = new Map<string, Promise<void>>();

  constructor(private readonly nativeSubscribe?: NativeSubscribe) {}

  /** How many native watches are open now (tests: one per folder however many subscribe; none after close). */
  get openWatches(): { readonly subscriptions: number; readonly folders: number } {
    return { subscriptions: this.shared.size, folders: this.entryWatches.size };
  }

  async subscribe(folder: string, options: WatchOptions, onChanges: OnChanges): Promise<Disposable> {
    folder = path.resolve(folder);
    let shared = this.shared.get(folder);
    if (shared === undefined) {
      shared = this.open(folder);
      this.shared.set(folder, shared);
    }
    const subscriber: Subscriber = { options, onChanges };
    shared.subscribers.add(subscriber);
    try {
      await shared.native;
    } catch (error) {
      shared.subscribers.delete(subscriber);
      throw error;
    }
    const joined = shared;
    return { dispose: () => this.leave(joined, subscriber) };
  }

  watchEntries(folder: string, onEntry: (name: string | undefined) => void, onError: (error: Error) => void): Disposable {
    const watcher = fs.watch(folder, { persistent: false }, (_type, name) => onEntry(typeof name === 'string' ? name : undefined));
    this.entryWatches.add(watcher);
    const dispose = () => {
      this.entryWatches.delete(watcher);
      watcher.close();
    };
    watcher.on('error', (error) => {
      dispose();
      onError(error);
    });
    return { dispose };
  }

  async close(): Promise<void> {
    for (const watcher of this.entryWatches) watcher.close();
    this.entryWatches.clear();
    for (const shared of [...this.shared.values()]) this.end(shared);
    await Promise.all(this.ending.values());
  }

  private open(folder: string): Shared {
    const shared: Shared = {
      folder,
      subscribers: new Set(),
      native: this.startNative(folder, (error, events) => this.deliver(shared, error, events)),
      delivery: Promise.resolve(),
    };
    // A folder that could not be watched is asked again by the next subscriber.
    shared.native.catch(() => {
      if (this.shared.get(folder) === shared) this.shared.delete(folder);
    });
    return shared;
  }

  private async startNative(folder: string, callback: SubscribeCallback): Promise<AsyncSubscription> {
    // @parcel/watcher shares its native watcher between subscriptions of one folder, and one made
    // while the last was still unsubscribing came out deaf: 7 of 20 reported nothing (measured).
    // A page that reloads does just that to the live loop's watch: its last page leaves, a new one comes.
    await this.ending.get(folder)?.catch(() => undefined);
    // Loaded on the first watch: a platform without the addon's prebuilt binary can still serve,
    // without --watch, live reload of static folders or Python's reload.
    const subscribe = this.nativeSubscribe ?? (await import('@parcel/watcher')).subscribe;
    return subscribe(folder, callback, { ignore: [...IGNORED_GLOBS] });
  }

  private deliver(shared: Shared, error: Error | null, events: NativeEvent[]): void {
    if (error) {
      for (const subscriber of shared.subscribers) subscriber.options.onError?.(error);
      return;
    }
    const paths = events.map((event) => event.path).filter((file) => !isIgnoredBelow(shared.folder, file));
    if (paths.length === 0) return;
    shared.delivery = shared.delivery.then(async () => {
      const files = await expandFolders(shared.folder, paths);
      for (const subscriber of [...shared.subscribers]) {
        const wanted = subscriber.options.ignore ? files.filter((file) => !subscriber.options.ignore!(file)) : files;
        if (wanted.length === 0) continue;
        try {
          subscriber.onChanges(wanted);
        } catch (failure) {
          // One subscriber's failure must not keep the batch from the others.
          subscriber.options.onError?.(failure instanceof Error ? failure : new Error(String(failure)));
        }
      }
    });
  }

  private leave(shared: Shared, subscriber: Subscriber): void {
    if (!shared.subscribers.delete(subscriber) || shared.subscribers.size > 0) return;
    this.end(shared);
  }

  /** Ends a native subscription (a last subscriber left, or the service closes). */
  private end(shared: Shared): void {
    shared.subscribers.clear();
    if (this.shared.get(shared.folder) === shared) this.shared.delete(shared.folder);
    const before = this.ending.get(shared.folder);
    const ending = shared.native.then(
      async (native) => {
        await before?.catch(() => undefined);
        await native.unsubscribe();
      },
      () => before?.catch(() => undefined),
    );
    this.ending.set(shared.folder, ending);
    const done = () => {
      if (this.ending.get(shared.folder) === ending) this.ending.delete(shared.folder);
    };
    ending.then(done, done);
  }
}
