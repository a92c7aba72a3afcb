/**
 * One engine process, seen from the editor: forks `main.ts` on the chosen Node, sends requests and
 * matches their responses, relays batches, and keeps a heartbeat. Plain Node (no 'vscode').
 *
 * The heartbeat: a ping every `heartbeatIntervalMs`; no pong for `heartbeatTimeoutMs` makes the
 * process unresponsive (an app busy-looping, a deadlock), a late pong makes it responsive again.
 * While a debugger may hold the process paused at a breakpoint, silence is not a hang.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { Emitter, errorMessage, LineSplitter } from '../engine/index';
import type { NodeRuntime } from './node';
import type { ClientMessage, EngineMessage, EngineProcessOptions, EngineRequest, EngineResults, WireError } from './protocol';

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

export type Hello = Extract<EngineMessage, { type: 'hello' }>;
export type Batch = Extract<EngineMessage, { type: 'batch' }>;

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
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
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
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        clearInterval(this.heartbeat);
        const gone = new Error(`the engine process ${describeExit(this.exit)}`);
        for (const request of this.pending.values()) request.reject(gone);
        this.pending.clear();
        resolve(this.exit);
      });
    });
    this.ready = new Promise((resolve, reject) => {
      this.child.once('error', (error) => reject(new Error(`the engine process could not start: ${errorMessage(error)}`)));
      void this.exited.then((exit) => reject(new Error(`the engine process ${describeExit(exit)} before it was ready`)));
      this.child.on('message', (message: EngineMessage) => {
        switch (message.type) {
          case 'hello':
            this.hello = message;
            this.startHeartbeat();
            resolve(message);
            return;
          case 'response':
            this.settle(message);
            return;
          case 'pong':
            this.pong();
            return;
          case 'batch':
            this._onBatch.fire(message);
        }
      });
    });
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

  request<K extends EngineRequest['type']>(request: Extract<EngineRequest, { type: K }>): Promise<EngineResults[K]> {
    if (this.exit) return Promise.reject(new Error(`the engine process ${describeExit(this.exit)}`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.post({ type: 'request', id, request });
    });
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
    this._onBatch.dispose();
    this._onOutput.dispose();
    this._onDidChangeResponsive.dispose();
  }

  private post(message: ClientMessage): void {
    if (!this.child.connected) return;
    this.child.send(message, (error) => {
      if (error && message.type === 'request') this.settle({ type: 'response', id: message.id, ok: false, error: { name: 'Error', message: errorMessage(error) } });
    });
  }

  private settle(message: Extract<EngineMessage, { type: 'response' }>): void {
    const request = this.pending.get(message.id);
    if (!request) return;
    this.pending.delete(message.id);
    if (message.ok) request.resolve(message.result);
    else request.reject(new EngineRequestError(message.error));
  }

  private startHeartbeat(): void {
    this.lastPong = Date.now();
    this.heartbeat = setInterval(() => {
      this.post({ type: 'ping', seq: ++this.seq });
      if (this._responsive && !this.debugging && Date.now() - this.lastPong > this.options.heartbeatTimeoutMs) {
        this._responsive = false;
        this._onDidChangeResponsive.fire(false);
      }
    }, this.options.heartbeatIntervalMs);
    this.heartbeat.unref();
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
