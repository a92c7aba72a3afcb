/**
 * A stream of text chunks as lines ('\n' or '\r\n'), each at most `maxLength` characters: a
 * process that prints a line without end (a progress bar, a minified bundle, `yes | tr -d '\n'`)
 * costs a bounded amount of memory. An over-long line is emitted as soon as it passes the limit,
 * cut and saying so, and the rest of it is skipped up to its end.
 */

/** Long enough for any line a person reads; a minified bundle or a data dump is cut. */
export const MAX_LINE_LENGTH = 8192;

export class LineSplitter {
  private partial = '';
  /** Set while the rest of a cut line is skipped, up to its '\n'. */
  private skipping = false;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLength = MAX_LINE_LENGTH,
  ) {}

  push(text: string): void {
    let start = 0;
    while (start < text.length) {
      const newline = text.indexOf('\n', start);
      const end = newline === -1 ? text.length : newline;
      if (!this.skipping) {
        // One character past the limit is kept: a '\r' there ends the line, it does not make it long.
        const room = this.maxLength + 1 - this.partial.length;
        this.partial += text.slice(start, start + Math.min(room, end - start));
        if (end - start > room) this.cut();
      }
      if (newline === -1) return;
      if (this.skipping) this.skipping = false;
      else this.emit();
      start = newline + 1;
    }
  }

  /** Emits an unterminated last line. */
  flush(): void {
    if (this.skipping) this.skipping = false;
    else if (this.partial !== '') this.emit();
  }

  private emit(): void {
    const line = this.partial.endsWith('\r') ? this.partial.slice(0, -1) : this.partial;
    this.partial = '';
    if (line.length > this.maxLength) this.onLine(this.cutText(line));
    else this.onLine(line);
  }

  private cut(): void {
    const line = this.partial;
    this.partial = '';
    this.skipping = true;
    this.onLine(this.cutText(line));
  }

  private cutText(line: string): string {
    // Never half a surrogate pair: the cut line must stay valid text.
    const last = line.charCodeAt(this.maxLength - 1);
    const head = line.slice(0, last >= 0xd800 && last <= 0xdbff ? this.maxLength - 1 : this.maxLength);
    return `${head}… (line cut at ${this.maxLength} characters)`;
  }
}
