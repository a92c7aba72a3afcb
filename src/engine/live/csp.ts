/**
 * Lets a page's Content-Security-Policy run the one live reload script and open its socket, and
 * leaves what the page's own scripts and requests may do exactly as it was.
 *
 * - Where every policy lets a same-origin `<script src>` run (`'self'` or `*`, without
 *   `'strict-dynamic'`), the script goes in as one and no policy changes.
 * - Otherwise the script goes inline, and each policy that would block it gets the hash of its
 *   text: a hash allows that one text and nothing else. It is never added to a list whose
 *   `'unsafe-inline'` is in force (a hash or nonce would switch that off for the page's own
 *   inline scripts), and needs not be: that list allows an inline script already. Adding
 *   `'self'` instead, as before, let the page's own scripts run where production blocks them.
 * - The socket gets sources that match only its own path, `/__mounts/live`, on any host (the page
 *   may be reached through a forwarded port under another name), never `'self'`, which would
 *   open every same-origin request of the page.
 * - A directive that falls back to `default-src` is written out as its own directive, a copy of
 *   `default-src` plus our source, so that the other kinds `default-src` governs are unchanged.
 */
import { LIVE_CLIENT_HASH } from './client';
import { LIVE_SOCKET_PATH } from './namespace';

export interface PolicyPlan {
  /** The header values to send instead; the same strings when nothing needed a change. */
  readonly values: string[];
  /** Whether the script must go in inline (some policy blocks it as `<script src>`). */
  readonly inline: boolean;
}

interface Directive {
  readonly name: string;
  sources: string[];
}

/** Which directive governs a `<script>` element, and which a WebSocket, in order of precedence. */
const SCRIPT_DIRECTIVES = ['script-src-elem', 'script-src', 'default-src'];
const CONNECT_DIRECTIVES = ['connect-src', 'default-src'];
/** `ws:` also matches `wss:` in CSP Level 3; both are named for browsers that predate it. */
const SOCKET_SOURCES = [`ws://*:*${LIVE_SOCKET_PATH}`, `wss://*:*${LIVE_SOCKET_PATH}`];
const SCRIPT_SOURCE = `'${LIVE_CLIENT_HASH}'`;

/** Plans the script's form and patches every policy of every header value for it. */
export function planPolicies(values: readonly string[]): PolicyPlan {
  // A header value may hold several policies, separated by commas; each is enforced on its own.
  const parsed = values.map((value) => value.split(',').map((policy) => ({ text: policy, directives: parse(policy) })));
  const all = parsed.flat();
  const inline = !all.every(({ directives }) => allowsExternal(effective(directives, SCRIPT_DIRECTIVES)));
  const patched = parsed.map((policies) => policies.map(({ text, directives }) => patchPolicy(text, directives, inline)).join(','));
  return { values: patched, inline };
}

function patchPolicy(text: string, directives: Directive[], inline: boolean): string {
  let changed = false;
  const script = effective(directives, SCRIPT_DIRECTIVES);
  if (inline && script && !allowsInline(script.sources)) {
    addSources(directives, script, 'script-src', [SCRIPT_SOURCE]);
    changed = true;
  }
  const connect = effective(directives, CONNECT_DIRECTIVES);
  if (connect && !hasKeyword(connect.sources, "'self'")) {
    addSources(directives, connect, 'connect-src', SOCKET_SOURCES);
    changed = true;
  }
  if (!changed) return text;
  const leading = /^\s*/.exec(text)![0];
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

function hasKeyword(sources: readonly string[], keyword: string): boolean {
  return sources.some((source) => source.toLowerCase() === keyword);
}

/** Whether a same-origin `<script src>` without a nonce runs under this directive. */
function allowsExternal(directive: Directive | undefined): boolean {
  if (directive === undefined) return true;
  const sources = directive.sources;
  return (sources.includes('*') || hasKeyword(sources, "'self'")) && !hasKeyword(sources, "'strict-dynamic'");
}

/** Whether an inline script runs: `'unsafe-inline'` in force (no nonce, hash or `'strict-dynamic'` beside it). */
function allowsInline(sources: readonly string[]): boolean {
  return (
    hasKeyword(sources, "'unsafe-inline'") &&
    !hasKeyword(sources, "'strict-dynamic'") &&
    !sources.some((source) => /^'(nonce-|sha256-|sha384-|sha512-)/i.test(source))
  );
}

/** Adds `added` to `found`, or, when `found` is `default-src`, a new directive `name` copying it. */
function addSources(directives: Directive[], found: Directive, name: string, added: readonly string[]): void {
  const kept = found.sources.filter((existing) => existing.toLowerCase() !== "'none'");
  if (found.name.toLowerCase() === 'default-src') directives.push({ name, sources: [...kept, ...added] });
  else found.sources = [...kept, ...added];
}
