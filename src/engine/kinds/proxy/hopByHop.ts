/** Hop-by-hop headers: what a proxy never passes on, in either direction. */

/** RFC 9110 7.6.1, plus the legacy ones that behave the same way. Lower case. */
export const HOP_BY_HOP: readonly string[] = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
];

/** Response headers never relayed to the client (besides those `Connection` names). */
const RESPONSE_DROPPED: ReadonlySet<string> = new Set(HOP_BY_HOP);

/**
 * The upstream response's headers a proxy relays, as a flat `[name, value, ...]` list in their
 * order: hop-by-hop ones and those its `Connection` names are dropped. `rewrite` may change a
 * value, given the lower-case name. Framing needs no header here: node:http frames what is written.
 */
export function relayedHeaders(raw: readonly string[], rewrite?: (lowerName: string, value: string) => string): string[] {
  let connection: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length === 10 && raw[i].toLowerCase() === 'connection') connection = connection === undefined ? raw[i + 1] : `${connection}, ${raw[i + 1]}`;
  }
  const extra = connectionTokens(connection);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i].toLowerCase();
    if (RESPONSE_DROPPED.has(lower) || (extra !== undefined && extra.has(lower))) continue;
    out.push(raw[i], rewrite === undefined ? raw[i + 1] : rewrite(lower, raw[i + 1]));
  }
  return out;
}

/** Extra header names a `Connection` header declares hop-by-hop; undefined in the common case. */
export function connectionTokens(connection: string | undefined): Set<string> | undefined {
  if (connection === undefined || connection.length <= 10) {
    // Fast path for `keep-alive`, `close`, `upgrade` (and other single tokens of up to 10 chars).
    if (connection === undefined) return undefined;
    const token = connection.trim().toLowerCase();
    return token === 'keep-alive' || token === 'close' || token === 'upgrade' || token === '' ? undefined : new Set([token]);
  }
  const tokens = new Set<string>();
  for (const part of connection.split(',')) {
    const token = part.trim().toLowerCase();
    if (token !== '') tokens.add(token);
  }
  return tokens;
}
