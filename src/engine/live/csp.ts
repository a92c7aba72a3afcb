/**
 * Lets a page's Content-Security-Policy run the one live reload script and open its socket, and
 * changes nothing else: a directive is touched only when it would block them, and then only by
 * adding one source (or, when the directive was `'none'`, replacing it).
 *
 * - The script is a same-origin `<script src>`. `'self'` allows it unless the list uses
 *   `'strict-dynamic'` (which ignores `'self'`); a list with `'strict-dynamic'`, a nonce or a hash
 *   gets a nonce of ours instead. `'self'` is preferred elsewhere because adding a nonce to a list
 *   with `'unsafe-inline'` would turn `'unsafe-inline'` off for the page's own inline scripts.
 * - The socket is a same-origin ws: or wss: URL, which `'self'` matches (CSP Level 3).
 * - A directive that falls back to `default-src` is written out as its own directive, a copy of
 *   `default-src` plus our source, so that the other kinds `default-src` governs are unchanged.
 */

export interface PatchedPolicy {
  /** The header values to send instead; the same strings when nothing needed a change. */
  readonly values: string[];
  /** Set when the script tag must carry `nonce="…"`. */
  readonly nonce: string | undefined;
}

interface Directive {
  readonly name: string;
  sources: string[];
}

const SCRIPT_DIRECTIVES = ['script-src-elem', 'script-src', 'default-src'];
const CONNECT_DIRECTIVES = ['connect-src', 'default-src'];

/** `makeNonce` is called at most once, and only when a nonce is needed. */
export function patchPolicies(values: readonly string[], makeNonce: () => string): PatchedPolicy {
  let nonce: string | undefined;
  const nonceSource = () => `'nonce-${(nonce ??= makeNonce())}'`;
  const patched = values.map((value) =>
    value
      .split(',')
      .map((policy) => patchPolicy(policy, nonceSource))
      .join(','),
  );
  return { values: patched, nonce };
}

function patchPolicy(policy: string, nonceSource: () => string): string {
  const directives = parse(policy);
  let changed = false;

  const script = effective(directives, SCRIPT_DIRECTIVES);
  if (script && !allowsSameOriginScript(script.sources)) {
    const needsNonce = script.sources.some((source) => /^'(strict-dynamic|nonce-|sha256-|sha384-|sha512-)/i.test(source));
    addSource(directives, script, 'script-src', needsNonce ? nonceSource() : "'self'");
    changed = true;
  }
  const connect = effective(directives, CONNECT_DIRECTIVES);
  if (connect && !allowsSelf(connect.sources)) {
    addSource(directives, connect, 'connect-src', "'self'");
    changed = true;
  }
  if (!changed) return policy;
  const leading = /^\s*/.exec(policy)![0];
  return leading + directives.map((directive) => [directive.name, ...directive.sources].join(' ')).join('; ');
}

function parse(policy: string): Directive[] {
  const directives: Directive[] = [];
  for (const text of policy.split(';')) {
    const tokens = text.trim().split(/[\t\n\f\r ]+/).filter(Boolean);
    if (tokens.length === 0) continue;
    directives.push({ name: tokens[0], sources: tokens.slice(1) });
  }
  return directives;
}

/** The directive that governs a request kind: the first of `names` present (duplicates after the first are ignored, as browsers do). */
function effective(directives: readonly Directive[], names: readonly string[]): Directive | undefined {
  for (const name of names) {
    const found = directives.find((directive) => directive.name.toLowerCase() === name);
    if (found) return found;
  }
  return undefined;
}

function allowsSelf(sources: readonly string[]): boolean {
  return sources.some((source) => source === '*' || source.toLowerCase() === "'self'");
}

function allowsSameOriginScript(sources: readonly string[]): boolean {
  return allowsSelf(sources) && !sources.some((source) => source.toLowerCase() === "'strict-dynamic'");
}

/** Adds `source` to `found`, or, when `found` is `default-src`, a new directive `name` copying it. */
function addSource(directives: Directive[], found: Directive, name: string, source: string): void {
  const kept = found.sources.filter((existing) => existing.toLowerCase() !== "'none'");
  if (found.name.toLowerCase() === 'default-src') directives.push({ name, sources: [...kept, source] });
  else found.sources = [...kept, source];
}
