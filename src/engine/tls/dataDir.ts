/** Where Mounts keeps what belongs to the user rather than to a workspace: the local CA and its certificates. */
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The user's data folder for Mounts: `MOUNTS_DATA_DIR` when set (tests, or a user who wants the CA
 * elsewhere), else the platform's place for per-user application data.
 */
export function mountsDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MOUNTS_DATA_DIR) return path.resolve(env.MOUNTS_DATA_DIR);
  const home = env.HOME || os.homedir();
  if (process.platform === 'win32') return path.join(env.LOCALAPPDATA || path.join(home, 'AppData', 'Local'), 'mounts');
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'mounts');
  // The XDG base directory spec: a relative XDG_DATA_HOME is invalid and must be ignored.
  const xdg = env.XDG_DATA_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.local', 'share'), 'mounts');
}
