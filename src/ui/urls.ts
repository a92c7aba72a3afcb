/**
 * Browser URLs. Remote and web hosts forward ports, so the server's root goes through
 * `env.asExternalUri`; the mount's path is appended here because some hosts (code-server) answer
 * with a forwarding URL that drops the path.
 */
import * as vscode from 'vscode';
import type { MountSpec } from '../engine/index';
import type { MountsFolder } from './folders';

/** Where a browser reaches the folder's server (no mount) or one mount; undefined when stopped. */
export async function browserUrl(
  folder: MountsFolder,
  mount?: Pick<MountSpec, 'prefix' | 'host'>,
): Promise<vscode.Uri | undefined> {
  const local = mount ? folder.engine.urlOf(mount) : folder.engine.url;
  if (!local) return undefined;
  const url = new URL(local);
  const origin = vscode.Uri.parse(`${url.protocol}//${url.host}/`);
  const external = await vscode.env.asExternalUri(origin);
  return appendPath(external, url.pathname);
}

/** `http://host/proxy/8080/` + `/blog/` → `http://host/proxy/8080/blog/`, keeping the query. */
export function appendPath(base: vscode.Uri, pathname: string): vscode.Uri {
  const basePath = base.path.endsWith('/') ? base.path.slice(0, -1) : base.path;
  return base.with({ path: `${basePath}${pathname}` });
}
