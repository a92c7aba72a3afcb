/**
 * The recent log lines of an engine, kept in memory for readers that come later (the agent tools'
 * `get_logs`): a fixed number of lines, each cut to a fixed length, so a chatty app costs a bounded
 * amount of memory. Every line gets a sequence number; a reader passes the last one it saw as its
 * cursor and is told how many lines fell out of the ring before it could read them.
 *
 * Access lines are not kept: a load of requests would push an app's errors out of the ring, and
 * they name no mount to filter on.
 */
import { describeError, type Logger } from './logger';

export type RingLevel = 'info' | 'warn' | 'error';

export interface RingLine {
  /** Increases by one per line kept, from 1. */
  readonly seq: number;
  /** ISO 8601. */
  readonly time: string;
  readonly level: RingLevel;
  /** The mount's name for app output; absent for the engine's own lines. */
  readonly source?: string;
  readonly message: string;
  /** The error's stack (or text), for error lines that carry one. */
  readonly error?: string;
}

export interface RingQuery {
  /** Lines after this sequence number (0 or absent: from the oldest kept). */
  readonly since?: number;
  /** Only the lines of this source (a mount's name). */
  readonly source?: string;
  /** At most this many lines, the oldest first. */
  readonly limit: number;
}

export interface RingPage {
  readonly lines: readonly RingLine[];
  /** The cursor for the next read: the last sequence number looked at. */
  readonly next: number;
  /** Lines after `since` that fell out of the ring before this read (of any source). */
  readonly missed: number;
  /** True when more matching lines follow `next`. */
  readonly more: boolean;
}

export interface LogRingOptions {
  /** Lines kept. Default 2000. */
  readonly lines?: number;
  /** Characters kept of a message or an error's stack. Default 4000. */
  readonly lineLength?: number;
}

export class LogRing {
  private readonly lines: RingLine[] = [];
  private lastSeq = 0;
  private readonly capacity: number;
  private readonly lineLength: number;

  constructor(options: LogRingOptions = {}) {
    this.capacity = options.lines ?? 2000;
    this.lineLength = options.lineLength ?? 4000;
  }

  /** The sequence number of the newest line (0 before any). */
  get last(): number {
    return this.lastSeq;
  }

  record(level: RingLevel, message: string, source?: string, error?: string): void {
    const line: RingLine = {
      seq: ++this.lastSeq,
      time: new Date().toISOString(),
      level,
      ...(source === undefined ? {} : { source }),
      message: this.cut(message),
      ...(error === undefined ? {} : { error: this.cut(error) }),
    };
    this.lines.push(line);
    // A shift per line past capacity is O(capacity) only in theory: V8 moves the array's start.
    if (this.lines.length > this.capacity) this.lines.shift();
  }

  read(query: RingQuery): RingPage {
    const since = Math.max(0, query.since ?? 0);
    const oldest = this.lines[0]?.seq ?? this.lastSeq + 1;
    const missed = Math.max(0, oldest - since - 1);
    const selected: RingLine[] = [];
    let next = Math.max(since, missed > 0 ? oldest - 1 : since);
    let more = false;
    for (let index = Math.max(0, since + 1 - oldest); index < this.lines.length; index++) {
      const line = this.lines[index];
      if (query.source !== undefined && line.source !== query.source) {
        next = line.seq;
        continue;
      }
      if (selected.length === query.limit) {
        more = true;
        break;
      }
      selected.push(line);
      next = line.seq;
    }
    return { lines: selected, next, missed, more };
  }

  /** A Logger that records each line here, then passes it on to `next`. */
  logger(next: Logger): Logger {
    return {
      info: (message, source) => {
        this.record('info', message, source);
        next.info(message, source);
      },
      warn: (message, source) => {
        this.record('warn', message, source);
        next.warn(message, source);
      },
      error: (message, error, source) => {
        this.record('error', message, source, error === undefined ? undefined : describeError(error));
        next.error(message, error, source);
      },
      access: (line) => next.access(line),
    };
  }

  private cut(text: string): string {
    return text.length <= this.lineLength ? text : `${text.slice(0, this.lineLength)}… (${text.length - this.lineLength} more characters)`;
  }
}
