/** Positions in mounts.json, and problems placed at them. */
import * as path from 'node:path';
import type { ConfigProblem, SourceRange } from '../spec';

/**
 * Maps offsets to one-based lines and columns. Lines end at `\n`, `\r\n` or `\r`, as in VS Code;
 * columns count UTF-16 code units, as editor positions do.
 */
export class LineIndex {
  private readonly lineStarts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 13 /* \r */ && text.charCodeAt(i + 1) === 10 /* \n */) i++;
      if (ch === 10 || ch === 13) this.lineStarts.push(i + 1);
    }
  }

  rangeAt(offset: number, length: number): SourceRange {
    const starts = this.lineStarts;
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (starts[mid] <= offset) low = mid;
      else high = mid - 1;
    }
    return { offset, length, line: low + 1, column: offset - starts[low] + 1 };
  }
}

/** The one-based line and column of `offset` in `text`. For many lookups, reuse a `LineIndex`. */
export function sourceRangeAt(text: string, offset: number, length: number): SourceRange {
  return new LineIndex(text).rangeAt(offset, length);
}

/**
 * `mounts.json:7:5: mounts[2].prefix "/blog/" duplicates mounts[0].prefix "/blog"`.
 *
 * The file is shown relative to the current directory when it is inside it (so a terminal or an
 * editor's problem matcher can open it), else as an absolute path.
 */
export function formatProblem(p: ConfigProblem): string {
  return `${displayPath(p.file)}:${p.line}:${p.column}: ${p.message}`;
}

function displayPath(file: string): string {
  const absolute = path.resolve(file);
  const relative = path.relative(process.cwd(), absolute);
  const inside = relative !== '' && !path.isAbsolute(relative) && relative.split(path.sep)[0] !== '..';
  return inside ? relative : absolute;
}

export class Problem implements ConfigProblem {
  readonly offset: number;
  readonly length: number;
  readonly line: number;
  readonly column: number;

  constructor(
    readonly file: string,
    range: SourceRange,
    readonly field: string,
    readonly message: string,
  ) {
    this.offset = range.offset;
    this.length = range.length;
    this.line = range.line;
    this.column = range.column;
  }

  toString(): string {
    return formatProblem(this);
  }
}
