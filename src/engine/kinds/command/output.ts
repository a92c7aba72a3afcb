/** The last lines of a command's output (split by ../../lineSplitter), kept for error pages. */

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
