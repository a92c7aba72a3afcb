/**
 * One engine process, seen from the editor: forks `main.ts` on the chosen Node, speaks JSON-RPC to
 * it over the IPC channel (vscode-jsonrpc matches responses to requests), relays batches, and keeps
 * a heartbeat. Plain Node (no 'vscode').
 *
 * The heartbeat: a ping every `heartbeatIntervalMs`; no pong for `heartbeatTimeoutMs` makes the
 * process unresponsive (an app busy-looping, a deadlock), a late pong makes it responsive again.
 * While a debugger may hold the process paused at a breakpoint, silence is not a hang.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { createMessageConnection, IPCMessageWriter, ResponseError, type MessageConnection, type RequestParam, type RequestType } from 'vscode-jsonrpc/node';
import { Emitter, errorMessage, LineSplitter } from '../engine/index';
import { CHANNEL_CLOSED, ChannelReader } from './channelReader';
import type { NodeRuntime } from './node';
import { notifications, type Batch, type EngineProcessOptions, type Hello, type WireError } from './protocol';

export interface ConnectionOptions {
  readonly runtime: Pick<NodeRuntime, 'execPath' | 'env'>;
  readonly process: EngineProcessOptions;
  /** Open the inspector on a free loopback port from the start. */
  readonly inspect: boolean;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  /** The engine process script; default: found beside this file. */
  readonly script?: string;
}

export type { Batch, Hello } from './protocol';

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A request the engine answered with an error; `wire` rebuilds the engine's own error. */
export class EngineRequestError extends Error {
  constructor(readonly wire: WireError) {
    super(wire.message);
    this.name = wire.name;
  }
}

function isWireError(data: unknown): data is WireError {
  return typeof data === 'object' && data !== null && typeof (data as Partial<WireError>).name === 'string' && typeof (data as Partial<WireError>).message === 'string';
}

let scriptFile: string | undefined;

/**
 * Bundled, the client lives in dist/extension.js next to dist/engineProcess.js; compiled by tsc,
 * this file is out/src/engineProcess/connection.js beside main.js.
 */
export function locateEngineProcessScript(): string {
  if (scriptFile) return scriptFile;
  const candidates = [path.join(__dirname, 'engineProcess.js'), path.join(__dirname, 'main.js')];
  const found = candidates.find((candidate) => fs.existsSync(candidate));
  if (!found) throw new Error(`the engine process script is missing (looked for ${candidates.join(' and ')}); rebuild Mounts`);
  scriptFile = found;
  return found;
}

export class EngineConnection {
  readonly child: ChildProcess;
  /** Resolves with the process's exit; never rejects. */
  readonly exited: Promise<ProcessExit>;
  /** Resolves with the engine process's greeting; rejects when it exits first. */
  readonly ready: Promise<Hello>;
  hello: Hello | undefined;
  private readonly rpc: MessageConnection;
  /** Rejects when the process has exited: what is pending then fails at once, with the exit. */
  private readonly gone: Promise<never>;
  private exit: ProcessExit | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private lastPong = Date.now();
  private seq = 0;
  private _responsive = true;
  /** Set while a debugger may hold the process paused. */
  debugging = false;

  private readonly _onBatch = new Emitter<Batch>();
  readonly onBatch = this._onBatch.event;
  /** Each line the process itself wrote to stdout or stderr (an app's console.log, Node's own fatal errors). */
  private readonly _onOutput = new Emitter<{ stream: 'stdout' | 'stderr'; line: string }>();
  readonly onOutput = this._onOutput.event;
  private readonly _onDidChangeResponsive = new Emitter<boolean>();
  readonly onDidChangeResponsive = this._onDidChangeResponsive.event;

  constructor(private readonly options: ConnectionOptions) {
    this.debugging = options.inspect;
    const execArgv = options.inspect ? ['--inspect=127.0.0.1:0'] : [];
    this.child = fork(options.script ?? locateEngineProcessScript(), [JSON.stringify(options.process)], {
      execPath: options.runtime.execPath,
      // The editor's own flags (--inspect of the extension host, its loader hooks) must not follow.
      execArgv,
      env: { ...process.env, ...options.runtime.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // Its own session: a Ctrl-C in the editor's terminal reaches the editor, which then stops
      // engines in order; the engine process learns of the editor's death from the IPC channel.
      detached: process.platform !== 'win32',
    });
    for (const stream of ['stdout', 'stderr'] as const) this.readLines(stream);
    this.rpc = createMessageConnection(new ChannelReader(this.child), new IPCMessageWriter(this.child));
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        clearInterval(this.heartbeat);
        resolve(this.exit);
      });
    });
    // Pending requests fail once the process has exited and every message it sent has been handled.
    const channelClosed = new Promise<void>((resolve) => this.rpc.onNotification(CHANNEL_CLOSED, () => resolve()));
    this.gone = Promise.all([this.exited, channelClosed]).then(([exit]) => Promise.reject(new Error(`the engine process ${describeExit(exit)}`)));
    // Handled by whoever awaits a request; with none pending it must not become an unhandled rejection.
    this.gone.catch(() => undefined);
    this.ready = new Promise((resolve, reject) => {
      this.child.once('error', (error) => reject(new Error(`the engine process could not start: ${errorMessage(error)}`)));
      void this.exited.then((exit) => reject(new Error(`the engine process ${describeExit(exit)} before it was ready`)));
      this.rpc.onNotification(notifications.hello, (hello) => {
        this.hello = hello;
        this.startHeartbeat();
        resolve(hello);
      });
    });
    this.rpc.onNotification(notifications.pong, () => this.pong());
    this.rpc.onNotification(notifications.batch, (batch) => this._onBatch.fire(batch));
    this.rpc.listen();
    // Handled by whoever awaits it; an unawaited rejection must not become an unhandled one.
    this.ready.catch(() => undefined);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get responsive(): boolean {
    return this._responsive;
  }

  get hasExited(): boolean {
    return this.exit !== undefined;
  }

  /**
   * Sends a request typed by its constant in protocol.ts; rejects with an EngineRequestError when
   * the engine answers with an error, and at once when the process has exited or exits meanwhile.
   */
  async request<P, R>(type: RequestType<P, R, WireError>, params: RequestParam<P>): Promise<R> {
    if (this.exit) throw new Error(`the engine process ${describeExit(this.exit)}`);
    try {
      return await Promise.race([this.rpc.sendRequest(type, params), this.gone]);
    } catch (error) {
      throw error instanceof ResponseError && isWireError(error.data) ? new EngineRequestError(error.data) : error;
    }
  }

  /** SIGKILL; resolves when the process is gone. */
  kill(): Promise<ProcessExit> {
    if (!this.exit) this.child.kill('SIGKILL');
    return this.exited;
  }

  /** Closes the channel (the process then stops its engine and exits); resolves when it is gone. */
  disconnect(): Promise<ProcessExit> {
    if (this.child.connected) this.child.disconnect();
    return this.exited;
  }

  dispose(): void {
    clearInterval(this.heartbeat);
    this.rpc.dispose();
    this._onBatch.dispose();
    this._onOutput.dispose();
    this._onDidChangeResponsive.dispose();
  }

  private startHeartbeat(): void {
    this.lastPong = Date.now();
    this.heartbeat = setInterval(() => {
      this.ping();
      if (this._responsive && !this.debugging && Date.now() - this.lastPong > this.options.heartbeatTimeoutMs) {
        this._responsive = false;
        this._onDidChangeResponsive.fire(false);
      }
    }, this.options.heartbeatIntervalMs);
    this.heartbeat.unref();
  }

  private ping(): void {
    if (!this.child.connected) return;
    // A ping that cannot be sent is a heartbeat missed, which is what the timeout below measures.
    try {
      this.rpc.sendNotification(notifications.ping, { seq: ++this.seq }).catch(() => undefined);
    } catch {
      // The connection closed with the channel (the process is exiting).
    }
  }

  private pong(): void {
    this.lastPong = Date.now();
    if (this._responsive) return;
    this._responsive = true;
    this._onDidChangeResponsive.fire(true);
  }

  private readLines(stream: 'stdout' | 'stderr'): void {
    const readable = this.child[stream];
    if (!readable) return;
    const decoder = new StringDecoder('utf8');
    const lines = new LineSplitter((line) => this._onOutput.fire({ stream, line }));
    readable.on('data', (chunk: Buffer) => lines.push(decoder.write(chunk)));
    readable.once('end', () => {
      lines.push(decoder.end());
      lines.flush();
    });
    readable.on('error', () => undefined);
  }
}

/** `exited with code 1`, `was killed by SIGKILL` */
export function describeExit(exit: ProcessExit): string {
  if (exit.signal) return `was killed by ${exit.signal}`;
  return `exited with code ${exit.code ?? 'unknown'}`;
}
