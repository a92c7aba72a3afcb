/**
 * Limits on client connections, so that clients holding connections open (idle keep-alive, or
 * slowloris: headers sent a byte at a time) cannot lock everyone else out. Node's own defaults
 * (headers 60 s, checked every 30 s; no cap at all) let ~1 000 such connections exhaust the usual
 * `ulimit -n 1024` and refuse every other client for 80-90 s.
 *
 * The cap sits below the open-file limit, which the same process also needs for upstream sockets,
 * served files, watches and child processes. When a new connection arrives at the cap, the open
 * connection that has gone longest without a request being answered on it (an idle keep-alive, or
 * one still dribbling its headers) is closed to make room. Connections with a request in flight
 * are never chosen; when all are busy, the new connection is the one closed.
 */
import { readFileSync } from 'node:fs';
import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ConnectionLimits } from './spec';

/** Assumed where /proc is not there to tell: macOS's default `ulimit -n`. */
const FALLBACK_FILE_LIMIT = 256;

/** The process's soft limit on open files (`ulimit -n`), from /proc/self/limits; undefined where unknown. */
export function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((candidate) => candidate.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    return soft === undefined || soft === 'unlimited' ? undefined : Number(soft) || undefined;
  } catch {
    return undefined;
  }
}

/** Half the open-file limit: the other half is for everything else the process opens. */
export function defaultMaxConnections(fileLimit = openFileLimit() ?? FALLBACK_FILE_LIMIT): number {
  return Math.max(16, Math.floor(fileLimit / 2));
}

/** How often Node checks the headers and request timeouts (its default, 30 s, lets a 10 s limit run to 40 s). */
export const TIMEOUT_CHECK_INTERVAL_MS = 1000;

/** Node's request timeout: the whole request, body included (long uploads must fit). */
const REQUEST_TIMEOUT_MS = 300_000;

/** The part of an http.Server the guard uses (any request and response classes). */
interface TimedServer extends EventEmitter {
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
}

export class ConnectionGuard {
  /** Each open connection and the sequence number of the last request seen on it (0: none yet). */
  private readonly open = new Map<Socket, number>();
  private sequence = 0;
  private max: number;
  private warnedAt = 0;

  constructor(
    private readonly server: TimedServer,
    limits: ConnectionLimits,
    /** Upgraded sockets: not HTTP any more, so never closed as idle. */
    private readonly upgraded: ReadonlySet<Duplex>,
    private readonly warn: (message: string) => void,
  ) {
    this.max = limits.max ?? defaultMaxConnections();
    this.apply(limits);
    server.on('connection', (socket: Socket) => this.admit(socket));
    server.on('secureConnection', (socket: Socket) => this.wrapped(socket));
  }

  /** Applies (new) limits to the running server. */
  apply(limits: ConnectionLimits): void {
    this.max = limits.max ?? defaultMaxConnections();
    this.server.headersTimeout = limits.headersTimeout * 1000;
    this.server.requestTimeout = Math.max(REQUEST_TIMEOUT_MS, this.server.headersTimeout);
    this.server.keepAliveTimeout = limits.idleTimeout * 1000;
  }

  get limit(): number {
    return this.max;
  }

  /** A request arrived on `socket`: it is not idle. */
  touch(socket: Socket): void {
    if (this.open.has(socket)) this.open.set(socket, ++this.sequence);
  }

  /**
   * On an HTTPS listener, requests arrive on the TLS socket wrapped around the accepted one (its
   * `_parent`, Node's own field): that socket takes the accepted one's place, so the requests on
   * it count as its activity and its answers keep it from being chosen as idle.
   */
  private wrapped(secure: Socket): void {
    const accepted = (secure as { _parent?: Socket })._parent;
    const lastRequest = accepted && this.open.get(accepted);
    if (accepted === undefined || lastRequest === undefined) return;
    this.open.delete(accepted);
    this.open.set(secure, lastRequest);
    secure.once('close', () => this.open.delete(secure));
  }

  private admit(socket: Socket): void {
    if (this.open.size >= this.max && !this.evictIdlest()) {
      this.warnAtMostEverySecond(`${this.open.size} connections are open, each with a request in flight (connections.max is ${this.max}): refused a new one`);
      socket.destroy();
      return;
    }
    this.open.set(socket, 0);
    socket.once('close', () => this.open.delete(socket));
  }

  /** Closes the connection idle the longest; false when every connection is busy. */
  private evictIdlest(): boolean {
    let victim: Socket | undefined;
    let oldest = Infinity;
    for (const [socket, lastRequest] of this.open) {
      if (lastRequest >= oldest || this.upgraded.has(socket) || isAnswering(socket)) continue;
      victim = socket;
      oldest = lastRequest;
      if (lastRequest === 0) break; // Never sent a whole request head, and the oldest such: the map keeps arrival order.
    }
    if (!victim) return false;
    this.open.delete(victim);
    victim.destroy();
    this.warnAtMostEverySecond(`connections.max (${this.max}) reached: closing the idlest connections to let new ones in`);
    return true;
  }

  private warnAtMostEverySecond(message: string): void {
    const now = Date.now();
    if (now - this.warnedAt < 1000) return;
    this.warnedAt = now;
    this.warn(message);
  }
}

/** Whether a response is being written on the connection (node:http's own field, as its clientError handler reads it). */
function isAnswering(socket: Socket): boolean {
  return (socket as { _httpMessage?: unknown })._httpMessage != null;
}
