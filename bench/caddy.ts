/**
 * Caddy from Debian as a second reference proxy: run in the foreground as a child with its own
 * Caddyfile, data and config folders in a temp folder, bound to 127.0.0.1, admin API off. Never
 * the packaged system service. GOMAXPROCS=1: the servers share one core, as nginx's one worker
 * and the engine's one thread do.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort, startServer, type Role, type Started } from './processes';

export const CADDY = '/usr/bin/caddy';

/** Why Caddy cannot run here, if it cannot. */
export const caddyMissing = (): string | undefined => (fs.existsSync(CADDY) ? undefined : `${CADDY} not installed`);

/** Starts Caddy with `site` as the body of its one site block, for any Host (127.0.0.1 or localhost). */
export async function startCaddy(workDir: string, name: string, site: string, role?: Role): Promise<Started> {
  const prefix = fs.mkdtempSync(path.join(workDir, `caddy-${name}-`));
  const port = await freePort();
  const caddyfile = path.join(prefix, 'Caddyfile');
  fs.writeFileSync(
    caddyfile,
    `{
  admin off
  auto_https off
  log {
    level ERROR
  }
}
http://:${port} {
  bind 127.0.0.1
  ${site}
}
`,
  );
  const env = { ...process.env, HOME: prefix, XDG_DATA_HOME: path.join(prefix, 'data'), XDG_CONFIG_HOME: path.join(prefix, 'config'), GOMAXPROCS: '1' };
  return startServer(CADDY, ['run', '--config', caddyfile, '--adapter', 'caddyfile'], { port }, 'SIGTERM', env, role);
}
