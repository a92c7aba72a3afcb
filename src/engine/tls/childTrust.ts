/** How a child process of a mount is told to trust the local CA: its environment. */

/** The trust files of a running HTTPS engine, for the environment of its child processes. */
export interface ChildTrust {
  /** The CA certificate alone (NODE_EXTRA_CA_CERTS adds to Node's roots). */
  readonly caFile: string;
  /** The system's roots plus the CA (SSL_CERT_FILE and REQUESTS_CA_BUNDLE replace the roots). */
  readonly bundleFile: string;
}

/** Environment variables that make a child's Node, Python and OpenSSL-based clients trust the CA. */
export function trustEnvironment(trust: ChildTrust): Record<string, string> {
  // Every child gets all of them: a command mount is often Python (`manage.py runserver`) or a tool
  // built on OpenSSL, which read SSL_CERT_FILE; Node reads only NODE_EXTRA_CA_CERTS.
  return {
    NODE_EXTRA_CA_CERTS: trust.caFile,
    SSL_CERT_FILE: trust.bundleFile,
    REQUESTS_CA_BUNDLE: trust.bundleFile,
  };
}
