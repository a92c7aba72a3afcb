/**
 * Where the script tag goes in a page: right after `<head…>`, else right after `<html…>`, else
 * where the content starts. Only the first bytes of a page are looked at, so a page streams.
 *
 * Hand-written rather than an HTML parser (parse5, htmlparser2): only the doctype, comments and
 * the first one or two start tags are ever read, and the result must be a byte offset into the
 * original, undecoded bytes.
 */

/** Past this many bytes without an answer, the script goes where the content starts. */
export const MAX_SCAN_BYTES = 64 * 1024;

const LT = 0x3c;
const GT = 0x3e;

/**
 * The byte offset at which to insert, `'more'` when the bytes so far cannot tell yet, or
 * `'never'` for a page in UTF-16 (its bytes are not ASCII). `final`: no more bytes will come.
 *
 * Before a leading doctype or comment counts as "the start" only when the page has nothing else:
 * a script in front of `<!DOCTYPE html>` would put the page into quirks mode.
 */
export function findInsertionPoint(bytes: Buffer, final: boolean): number | 'more' | 'never' {
  const length = bytes.length;
  if (length >= 2 && ((bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes[0] === 0xff && bytes[1] === 0xfe))) return 'never';
  let i = length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let afterHtml = -1;
  const undecided = (): number | 'more' => (final || length >= MAX_SCAN_BYTES ? (afterHtml !== -1 ? afterHtml : Math.min(i, length)) : 'more');
  for (;;) {
    while (i < length && isSpace(bytes[i])) i++;
    if (i >= length) return undecided();
    if (bytes[i] !== LT) return afterHtml !== -1 ? afterHtml : i;
    if (i + 1 >= length) return undecided();
    const next = bytes[i + 1];
    if (next === 0x21 /* ! */ || next === 0x3f /* ? */) {
      // A comment, the doctype, or an XML declaration (XHTML): skipped.
      const isComment = startsWith(bytes, i, '<!--');
      const end = isComment ? bytes.indexOf('-->', i + 4, 'latin1') : bytes.indexOf(GT, i + 2);
      if (end === -1) return undecided();
      i = end + (isComment ? 3 : 1);
      continue;
    }
    const nameEnd = tagNameEnd(bytes, i + 1);
    if (nameEnd === -1) return undecided();
    const name = bytes.toString('latin1', i + 1, nameEnd).toLowerCase();
    if (name === 'html' && afterHtml === -1) {
      const end = tagEnd(bytes, nameEnd);
      if (end === -1) return undecided();
      afterHtml = end + 1;
      i = afterHtml;
      continue;
    }
    if (name === 'head') {
      const end = tagEnd(bytes, nameEnd);
      if (end === -1) return undecided();
      return end + 1;
    }
    return afterHtml !== -1 ? afterHtml : i;
  }
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x09 || byte === 0x0d || byte === 0x0c;
}

function startsWith(bytes: Buffer, at: number, text: string): boolean {
  if (at + text.length > bytes.length) return false;
  for (let k = 0; k < text.length; k++) if (bytes[at + k] !== text.charCodeAt(k)) return false;
  return true;
}

/** The end of a tag name starting at `from` (letters, digits, '-', ':'), or -1 if the bytes end first. */
function tagNameEnd(bytes: Buffer, from: number): number {
  let k = from;
  while (k < bytes.length) {
    const c = bytes[k] | 0x20;
    const isNameChar = (c >= 0x61 && c <= 0x7a) || (bytes[k] >= 0x30 && bytes[k] <= 0x39) || bytes[k] === 0x2d || bytes[k] === 0x3a;
    if (!isNameChar) return k;
    k++;
  }
  return -1;
}

/** The index of the `>` closing a start tag (quoted attribute values may hold `>`), or -1. */
function tagEnd(bytes: Buffer, from: number): number {
  let quote = 0;
  for (let k = from; k < bytes.length; k++) {
    const c = bytes[k];
    if (quote !== 0) {
      if (c === quote) quote = 0;
    } else if (c === 0x22 || c === 0x27) {
      quote = c;
    } else if (c === GT) {
      return k;
    }
  }
  return -1;
}
