/**
 * The messages between the editor's client (`client.ts`) and the engine process (`main.ts`) over
 * the IPC channel of `fork()`. Types only: both sides import this file, and neither imports the
 * other.
 *
 *   editor ──request {id}──▶ engine process        editor ◀──response {id}── engine process
 *   editor ──ping {seq}────▶ engine process        editor ◀──pong {seq}───── engine process
 *                                                  editor ◀──batch (≤ 4 a second)── engine process
 *
 * Everything the engine reports (its state, its mounts with their status, counters and problems,
 * log lines, app errors) travels in batches: a load of tens of thousands of requests a second costs
 * the editor a few messages a second. Before a response the pending batch is sent, so when a
 * request resolves the client already holds the state it led to.
 */
import type { ConfigProblem, EngineState, MountInfo, MountsConfig, PythonChoice, StartFailure } from '../engine/index';

/** What the engine process is started with (its one command-line argument, as JSON). */
export interface EngineProcessOptions {
  /** Absolute path of mounts.json. */
  readonly configFile: string;
  readonly restricted: boolean;
  readonly accessLog: boolean;
  /** Pages reload when what serves them changes. */
  readonly liveReload: boolean;
  /** The interpreter of wsgi and asgi mounts without their own `python`. */
  readonly python?: PythonChoice;
  /** Overrides mounts.json's port for this run (0: a free port). */
  readonly port?: number;
  /** Serve HTTPS whatever mounts.json's `https` says (the `mounts.https` setting). */
  readonly https?: boolean;
}

/** Editor → engine process: something to do, answered by one `response` with the same id. */
export type EngineRequest =
  | { readonly type: 'start' }
  | { readonly type: 'stop' }
  /** Re-read mounts.json and apply it; a broken file changes nothing that serves. */
  | { readonly type: 'reloadConfig' }
  /** Hot-reload one module app or restart one command app, by `MountInfo.id`. */
  | { readonly type: 'reloadApp'; readonly id: string }
  /** A workspace file changed: module apps that loaded it reload. */
  | { readonly type: 'fileChanged'; readonly file: string }
  | { readonly type: 'setRestricted'; readonly restricted: boolean }
  | { readonly type: 'setAccessLog'; readonly enabled: boolean }
  | { readonly type: 'setLiveReload'; readonly enabled: boolean }
  /** Restarts the Python mounts that have no `python` of their own when the choice changed. */
  | { readonly type: 'setPython'; readonly python?: PythonChoice }
  /** Opens the inspector on a free loopback port (if not open yet); answers its `ws://` URL. */
  | { readonly type: 'debug' };

/** What each request resolves with. */
export interface EngineResults {
  start: void;
  stop: void;
  reloadConfig: { readonly ok: boolean; readonly problems: readonly ConfigProblem[]; readonly errors: readonly string[] };
  reloadApp: void;
  fileChanged: readonly string[];
  setRestricted: void;
  setAccessLog: void;
  setLiveReload: void;
  setPython: void;
  debug: string;
}

export type ClientMessage =
  | { readonly type: 'request'; readonly id: number; readonly request: EngineRequest }
  | { readonly type: 'ping'; readonly seq: number };

/** An error carried back to the client; `reason` and `problems` rebuild an EngineStartError. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly reason?: StartFailure;
  readonly problems?: readonly ConfigProblem[];
}

/** All the engine shows, as of the batch that carries it. */
export interface EngineSnapshot {
  readonly state: EngineState;
  readonly lastError?: string;
  readonly problems: readonly ConfigProblem[];
  readonly appProblems: readonly ConfigProblem[];
  readonly config?: MountsConfig;
  readonly mounts: readonly MountInfo[];
  readonly port?: number;
  readonly url?: string;
}

export type LogLevel = 'info' | 'warn' | 'error' | 'access';

export interface LogLine {
  readonly level: LogLevel;
  readonly message: string;
  /** The mount's name for app output; absent for the engine's own lines. */
  readonly source?: string;
  /** The error's stack (or text), for error lines that carry one. */
  readonly error?: string;
}

/** How the engine process ends after an app's error outside a request (EX_SOFTWARE: an internal software error). */
export const APP_ERROR_EXIT_CODE = 70;

/** An app's error thrown outside any request (a timer, an event handler): the engine process ends on it. */
export interface AppError {
  readonly kind: 'uncaught error' | 'unhandled promise rejection';
  /** The stack, or the text of what was thrown. */
  readonly error: string;
}

export type EngineMessage =
  | {
      readonly type: 'hello';
      readonly pid: number;
      readonly nodeVersion: string;
      readonly execPath: string;
      /** Set when the process runs with the inspector open. */
      readonly inspectorUrl?: string;
    }
  | { readonly type: 'response'; readonly id: number; readonly ok: true; readonly result?: unknown }
  | { readonly type: 'response'; readonly id: number; readonly ok: false; readonly error: WireError }
  | { readonly type: 'pong'; readonly seq: number }
  | {
      readonly type: 'batch';
      /** Absent when nothing the snapshot holds changed since the last batch. */
      readonly snapshot?: EngineSnapshot;
      readonly log: readonly LogLine[];
      /** Lines left out of this batch (access lines first) to bound what a load costs the editor. */
      readonly linesDropped: number;
      readonly appErrors: readonly AppError[];
    };
