/**
 * How text from mounts.json is written into an exported file's comments, and how durations are
 * written. mounts.json is untrusted input here: an export is a hand-off people put in production.
 *
 * Comments are the one place where any string of mounts.json (a name, a folder, a target, the
 * file's own path) is shown as it is; everything else a writer emits is checked against a strict
 * vocabulary in plan.ts first. A comment ends at a line break, and the readers disagree on what one
 * is: nginx and Caddy end it at LF, YAML 1.1 (go-yaml, hence kubectl) also at NEL, LS and PS. Caddy
 * 2.6 also replaces `{$VAR}` inside comments before it parses. So text from mounts.json in a
 * comment never contains a control, format or separator character, nor a brace: those are written
 * as `\u` escapes.
 */

/** Control (Cc), format (Cf), private, surrogate and unassigned code points, separators other than space. */
const LINE_HAZARD = /[\p{C}\p{Z}]/gu;
const LINE_HAZARD_OR_BRACE = /[\p{C}\p{Z}{}]/gu;

function escapeCodePoint(char: string): string {
  if (char === ' ') return char;
  const code = char.codePointAt(0)!;
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** A comment line that no reader can take as two: the last guard every comment a writer emits passes. */
export function oneLine(text: string): string {
  return text.replace(LINE_HAZARD, escapeCodePoint);
}

/** Text from mounts.json, safe inside a comment line of every target: nothing in it can end the comment or be a placeholder. */
export function commentText(text: string): string {
  return text.replace(LINE_HAZARD_OR_BRACE, escapeCodePoint);
}

/** Text from mounts.json in double quotes for a comment or a warning, JSON-style: `"a \\"b\\" \\u000a"`. */
export function quoted(text: string): string {
  return `"${commentText(text.replace(/[\\"]/g, '\\$&'))}"`;
}

/** Shell words that need no quotes (the usual paths stay readable). */
const PLAIN_WORD = /^[A-Za-z0-9_./@%+=:,-]+$/;

/**
 * One shell word for a command line the header suggests: as is when plain; in single quotes when
 * that is enough; else in ANSI-C quotes (`$'…'`, bash and zsh), where every character that could
 * end the comment or be a placeholder is an escape.
 */
export function shellWord(text: string): string {
  if (PLAIN_WORD.test(text)) return text;
  if (/^[\x20-\x7e]*$/.test(text) && !/['{}]/.test(text)) return `'${text}'`;
  const body = [...text]
    .map((char) => {
      if (char === "'" || char === '\\') return `\\${char}`;
      const code = char.codePointAt(0)!;
      if (code >= 0x20 && code < 0x7f && char !== '{' && char !== '}') return char;
      if (code < 0x80) return `\\x${code.toString(16).padStart(2, '0')}`;
      return code > 0xffff ? `\\U${code.toString(16).padStart(8, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
    })
    .join('');
  return `$'${body}'`;
}

/**
 * nginx takes whole numbers of a unit (`500ms`, never `0.5s`), Caddy Go durations (`1e3s` is not
 * one): both get whole milliseconds, which is also the resolution of Mounts' own timers.
 */
export function duration(milliseconds: number): string {
  return milliseconds % 1000 === 0 ? `${milliseconds / 1000}s` : `${milliseconds}ms`;
}
