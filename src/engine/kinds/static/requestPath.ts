/**
 * The request path of a static mount, read with its own checks: the engine's target checks come
 * first, but what names a file is decided here again (dotfiles, separators inside a segment, NUL),
 * so the static app's safety does not depend on code elsewhere.
 */

/** True for a path the fast path may use as is: no encoding, dot segment, empty segment or backslash. */
export function isPlainPath(pathname: string): boolean {
  return (
    pathname.charCodeAt(0) === 47 &&
    !pathname.includes('%') &&
    !pathname.includes('/.') &&
    !pathname.includes('//') &&
    !pathname.includes('\\') &&
    !pathname.includes(':') &&
    !pathname.includes('\0')
  );
}

/** The cache key of a path relative to the root: folders map to their index.html. */
export function cacheKey(relative: string): string {
  return relative === '' || relative.endsWith('/') ? `${relative}index.html` : relative;
}

/**
 * The decoded segments of a path that starts with '/', empty ones dropped; a message for a path
 * that cannot be decoded (400), or 'unsafe' for one that never names a servable file (404).
 */
export function decodedSegments(pathname: string): string[] | { readonly malformed: string } | 'unsafe' {
  const parts = pathname.split('/');
  const segments: string[] = [];
  for (let i = 1; i < parts.length; i++) {
    if (parts[i] === '') continue;
    let segment: string;
    try {
      segment = parts[i].includes('%') ? decodeURIComponent(parts[i]) : parts[i];
    } catch {
      return { malformed: 'The request path has malformed percent-encoding' };
    }
    if (segment.includes('\0')) return { malformed: 'The request path contains a NUL byte' };
    // Dotfiles and dot-folders, `..` in any encoding, and separators smuggled inside a segment
    // (`..%2f`, `%5c..%5c`) never name a servable file.
    if (!isSafeSegment(segment)) return 'unsafe';
    segments.push(segment);
  }
  return segments;
}

function isSafeSegment(segment: string): boolean {
  return (
    !segment.startsWith('.') &&
    !segment.includes('/') &&
    !segment.includes('\\') &&
    (process.platform !== 'win32' || !segment.includes(':'))
  );
}
