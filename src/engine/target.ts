/**
 * Checks a request target before routing. Hand-written because routers decode and normalize
 * paths in ways that differ from what we must refuse: we want '.'/'..' segments (literal or
 * percent-encoded), NUL and malformed percent-encoding rejected outright, and '%2F' kept as is.
 */

export type TargetCheck =
  | { readonly ok: true; readonly pathname: string; readonly search: string; readonly authority?: string }
  | { readonly ok: false; readonly status: 400 | 403; readonly message: string };

/**
 * Splits an origin-form ('/a?b') or absolute-form ('http://host/a?b') target into path and query
 * and rejects what no app should see. The authority of an absolute-form target is returned for
 * the Host check.
 */
export function checkTarget(target: string): TargetCheck {
  let authority: string | undefined;
  let rest = target;
  if (target.charCodeAt(0) !== 47 /* / */) {
    const absolute = /^http:\/\/([^/?#]*)([^#]*)$/i.exec(target);
    if (!absolute) return { ok: false, status: 400, message: 'The request target is not a path.' };
    authority = absolute[1];
    rest = absolute[2] || '/';
    if (rest.charCodeAt(0) !== 47) rest = `/${rest}`;
  }
  const queryAt = rest.indexOf('?');
  const pathname = queryAt === -1 ? rest : rest.slice(0, queryAt);
  const search = queryAt === -1 ? '' : rest.slice(queryAt);
  const problem = pathProblem(pathname) ?? (search.includes('\0') ? 'NUL' : undefined);
  if (problem !== undefined) return { ok: false, status: 400, message: describe(problem) };
  return { ok: true, pathname, search, authority };
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
  // Fast path: nothing encoded and no dot can be neither malformed nor a dot segment.
  const hasPercent = pathname.includes('%');
  if (!hasPercent && !pathname.includes('.')) return pathname.includes('\0') ? 'NUL' : undefined;
  if (pathname.includes('\0')) return 'NUL';
  for (const segment of pathname.split('/')) {
    let decoded = segment;
    if (hasPercent && segment.includes('%')) {
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
