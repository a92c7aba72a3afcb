/**
 * The messages between the editor's client (`client.ts`, `connection.ts`) and the engine process
 * (`main.ts`): JSON-RPC (vscode-jsonrpc, as vscode-languageclient speaks to a language server) over
 * the IPC channel of `fork()`. Each request is one `RequestType` constant that types both the
 * sender's `sendRequest` and the receiver's `onRequest`, so neither end casts. Both sides import
 * this file, and neither imports the other.
 *
 *   editor ──request──────▶ engine process        editor ◀──response (error: WireError)── engine process
 *   editor ──ping {seq}───▶ engine process        editor ◀──pong {seq}───────────────────── engine process
 *                                                 editor ◀──hello, then batch (≤ 4 a second)── engine process
 *
 * Everything the engine reports (its state, its mounts with their status, counters and problems,
 * log lines, app errors) travels in batches: a load of tens of thousands of requests a second costs
 * the editor a few messages a second. Before a response the pending batch is sent, so when a
 * request resolves the client already holds the state it led to.
 */
import { NotificationType, RequestType } from 'vscode-jsonrpc/node';
import type { ConfigProblem, EngineState, MountInfo, MountsConfig, PythonChoice, ReloadResult, StartFailure } from '../engine/index';

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

/** A request without parameters sends an empty object: every request has the same shape. */
export type NoParams = Record<string, never>;

/** Editor → engine process: something to do; a failure answers with a `WireError`. */
export const requests = {
  start: new RequestType<NoParams, void, WireError>('start'),
  /** Stops the engine; the process then exits once the answer is on its way. */
  stop: new RequestType<NoParams, void, WireError>('stop'),
  /** Re-read mounts.json and apply it; a broken file changes nothing that serves. */
  reloadConfig: new RequestType<NoParams, ReloadResult, WireError>('reloadConfig'),
  /** Hot-reload one module app or restart one command app, by `MountInfo.id`. */
  reloadApp: new RequestType<{ readonly id: string }, void, WireError>('reloadApp'),
  /** A workspace file changed: module apps that loaded it reload; answers their ids. */
  fileChanged: new RequestType<{ readonly file: string }, readonly string[], WireError>('fileChanged'),
  setRestricted: new RequestType<{ readonly restricted: boolean }, void, WireError>('setRestricted'),
  setAccessLog: new RequestType<{ readonly enabled: boolean }, void, WireError>('setAccessLog'),
  setLiveReload: new RequestType<{ readonly enabled: boolean }, void, WireError>('setLiveReload'),
  /** Restarts the Python mounts that have no `python` of their own when the choice changed. */
  setPython: new RequestType<{ readonly python?: PythonChoice }, void, WireError>('setPython'),
  /** Opens the inspector on a free loopback port (if not open yet); answers its `ws://` URL. */
  debug: new RequestType<NoParams, string, WireError>('debug'),
} as const;

/** The heartbeat: the editor pings, the engine process answers with the same `seq`. */
export interface Beat {
  readonly seq: number;
}

export const notifications = {
  ping: new NotificationType<Beat>('ping'),
  pong: new NotificationType<Beat>('pong'),
  /** The engine process's first message. */
  hello: new NotificationType<Hello>('hello'),
  batch: new NotificationType<Batch>('batch'),
} as const;

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

export interface Hello {
  readonly pid: number;
  readonly nodeVersion: string;
  readonly execPath: string;
  /** Set when the process runs with the inspector open. */
  readonly inspectorUrl?: string;
}

export interface Batch {
  /** Absent when nothing the snapshot holds changed since the last batch. */
  readonly snapshot?: EngineSnapshot;
  readonly log: readonly LogLine[];
  /** Lines left out of this batch (access lines first) to bound what a load costs the editor. */
  readonly linesDropped: number;
  readonly appErrors: readonly AppError[];
}
