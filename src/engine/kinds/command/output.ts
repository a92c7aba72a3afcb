/** A command's output as lines: each complete line goes to the log, the last few are kept for error pages. */

/** A line longer than this is cut and emitted, so a process that never prints '\n' cannot grow memory. */
const MAX_LINE = 8192;

/** Splits a stream of text chunks into lines ('\n' or '\r\n'). */
export class LineSplitter {
  private partial = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(text: string): void {
    let start = 0;
    let newline = text.indexOf('\n');
    while (newline !== -1) {
      const line = this.partial + text.slice(start, newline);
      this.partial = '';
      this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    this.partial += text.slice(start);
    while (this.partial.length > MAX_LINE) {
      this.onLine(this.partial.slice(0, MAX_LINE));
      this.partial = this.partial.slice(MAX_LINE);
    }
  }

  /** Emits an unterminated last line. */
  flush(): void {
    if (this.partial === '') return;
    const line = this.partial;
    this.partial = '';
    this.onLine(line);
  }
}

/** The last `size` lines, oldest first. */
export class Tail {
  private lines: string[] = [];

  constructor(private readonly size: number) {}

  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.size) this.lines.shift();
  }

  clear(): void {
    this.lines = [];
  }

  /** The lines joined, or undefined when there are none. */
  text(): string | undefined {
    return this.lines.length ? this.lines.join('\n') : undefined;
  }
}
