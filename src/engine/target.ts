/**
 * Checks a request target before routing. Hand-written because routers decode and normalize
 * paths in ways that differ from what we must refuse: we want '.'/'..' segments (literal or
 * percent-encoded), NUL and malformed percent-encoding rejected outright, and '%2F' kept as is.
 */

/** A request target split for routing; reused across requests (see `checkTarget`). */
export interface ParsedTarget {
  pathname: string;
  search: string;
  /** The authority of an absolute-form target, for the Host check. */
  authority: string | undefined;
}

export interface TargetProblem {
  readonly status: 400;
  readonly message: string;
}

/**
 * Splits an origin-form ('/a?b') or absolute-form ('http://host/a?b') target into `into` and
 * returns what no app should see, or undefined. Writing into the caller's object keeps the hot
 * path free of allocations.
 */
export function checkTarget(target: string, into: ParsedTarget): TargetProblem | undefined {
  let authority: string | undefined;
  let rest = target;
  if (target.charCodeAt(0) !== 47 /* / */) {
    // https too: this server speaks plain HTTP, but the authority is what must pass the Host check.
    const absolute = /^https?:\/\/([^/?#]*)([^#]*)$/i.exec(target);
    if (!absolute) return { status: 400, message: 'The request target is not a path.' };
    authority = absolute[1];
    rest = absolute[2] || '/';
    if (rest.charCodeAt(0) !== 47) rest = `/${rest}`;
  }
  const queryAt = rest.indexOf('?');
  const pathname = queryAt === -1 ? rest : rest.slice(0, queryAt);
  const search = queryAt === -1 ? '' : rest.slice(queryAt);
  const problem = pathProblem(pathname) ?? (search.includes('\0') ? 'NUL' : undefined);
  if (problem !== undefined) return { status: 400, message: describe(problem) };
  into.pathname = pathname;
  into.search = search;
  into.authority = authority;
  return undefined;
}

type PathProblem = 'NUL' | 'encoding' | 'dot-segment';

function describe(problem: PathProblem): string {
  switch (problem) {
    case 'NUL':
      return 'The request path contains a NUL byte.';
    case 'encoding':
      return 'The request path has malformed percent-encoding.';
    case 'dot-segment':
      return "The request path contains a '.' or '..' segment.";
  }
}

function pathProblem(pathname: string): PathProblem | undefined {
  const hasPercent = pathname.includes('%');
  if (pathname.includes('\0')) return 'NUL';
  // Without percent-encoding no segment needs decoding, so a scan finds dot segments without
  // splitting the path (every file name with an extension comes this way).
  if (!hasPercent) return hasLiteralDotSegment(pathname) ? 'dot-segment' : undefined;
  for (const segment of pathname.split('/')) {
    let decoded = segment;
    if (segment.includes('%')) {
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        return 'encoding';
      }
      if (decoded.includes('\0')) return 'NUL';
    }
    if (decoded === '.' || decoded === '..') return 'dot-segment';
  }
  return undefined;
}

/** True when a '/'-separated segment of `pathname` is exactly '.' or '..'. */
function hasLiteralDotSegment(pathname: string): boolean {
  for (let at = pathname.indexOf('/.'); at !== -1; at = pathname.indexOf('/.', at + 1)) {
    let end = at + 2;
    if (pathname.charCodeAt(end) === 46 /* . */) end++;
    if (end === pathname.length || pathname.charCodeAt(end) === 47 /* / */) return true;
  }
  return false;
}
