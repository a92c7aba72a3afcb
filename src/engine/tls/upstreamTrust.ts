/** What a proxy trusts in an https: upstream: the usual roots, and the user's local CA. */
import * as fs from 'node:fs';
import * as tls from 'node:tls';

let cached: { readonly authority: string; readonly context: tls.SecureContext } | undefined;

/**
 * A client context that trusts Node's roots, the file of NODE_EXTRA_CA_CERTS (which an explicit
 * `ca` would otherwise drop) and the local CA. Made once per CA and shared: building a context
 * parses every root, which must not happen per connection.
 */
export function trustingLocalAuthority(authority: string): tls.SecureContext {
  if (cached?.authority === authority) return cached.context;
  const ca = [...tls.rootCertificates, authority];
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  if (extra) {
    try {
      ca.push(fs.readFileSync(extra, 'utf8'));
    } catch {
      // Node itself only warns about a missing file there.
    }
  }
  const context = tls.createSecureContext({ ca });
  cached = { authority, context };
  return context;
}
