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
export const RESPONSE_DROPPED: ReadonlySet<string> = new Set(HOP_BY_HOP);

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
