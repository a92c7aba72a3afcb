/**
 * Where other machines reach a server that listens on every interface (`0.0.0.0`, `::`): one URL per
 * address of this machine's network interfaces, so the user sees what is exposed, and where.
 */
import * as os from 'node:os';

/** True for the addresses that accept connections on every interface (as `server.address()` gives them). */
export function isWildcardAddress(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

/** URLs of `port` at each address other machines can use; empty unless `bound` is a wildcard. */
export function networkUrls(bound: string, port: number, interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces()): string[] {
  if (!isWildcardAddress(bound)) return [];
  const urls: string[] = [];
  for (const info of Object.values(interfaces).flat()) {
    if (!info || info.internal) continue;
    if (info.family === 'IPv6') {
      // `::` also takes IPv4 (node listens dual-stack); `0.0.0.0` takes no IPv6. A link-local address
      // needs its zone (`%eth0`), which browsers refuse in a URL.
      if (bound === '0.0.0.0' || info.scopeid !== 0) continue;
      urls.push(`http://[${info.address}]:${port}/`);
    } else {
      urls.push(`http://${info.address}:${port}/`);
    }
  }
  return urls;
}
