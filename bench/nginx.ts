/**
 * nginx from Debian as the reference server: one worker (node is one thread too), run as a
 * non-daemon child with its own prefix, config, pid and logs in a temp folder, bound to 127.0.0.1.
 * Never the system service.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort, startServer, type Role, type Started } from './processes';

export const NGINX = '/usr/sbin/nginx';

/** Why nginx cannot run here, if it cannot. */
export const nginxMissing = (): string | undefined => (fs.existsSync(NGINX) ? undefined : `${NGINX} not installed`);

/** A certificate and key file for `listen … ssl`. */
export interface NginxTls {
  readonly cert: string;
  readonly key: string;
}

/** What nginx serves: the body of its `server` block, and `http` directives it needs (upstream blocks). */
export interface NginxSite {
  readonly locations: string;
  readonly httpExtra?: string;
}

/** The workspace's `files` folder at /s/, as the static groups' engine mount serves it. */
export function nginxStatic(files: string): NginxSite {
  return { locations: `location /s/ { alias ${files}/; }` };
}

/** /api/ proxied to the upstream on `port`, over kept-alive connections as the engine's proxy keeps them. */
export function nginxProxy(port: number): NginxSite {
  return {
    locations: 'location /api/ { proxy_pass http://upstream/; proxy_http_version 1.1; proxy_set_header Connection ""; }',
    httpExtra: `upstream upstream { server 127.0.0.1:${port}; keepalive 64; }`,
  };
}

/**
 * Everything proxied to a dev server on `port` as a reverse proxy in front of one is set up: kept-alive
 * upstream connections, the browser's Host passed on (dev servers check it), and WebSocket upgrades
 * (the dev server's HMR socket) passed through, with no Connection header on plain requests.
 */
export function nginxDevServer(port: number): NginxSite {
  return {
    locations:
      'location / { proxy_pass http://dev; proxy_http_version 1.1; proxy_set_header Host $http_host; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade; }',
    httpExtra: `upstream dev { server 127.0.0.1:${port}; keepalive 64; }\n  map $http_upgrade $connection_upgrade { default upgrade; '' ''; }`,
  };
}

/**
 * Starts nginx serving `site`. Settings follow Debian's default nginx.conf (sendfile, tcp_nopush),
 * with the access log off (the engine runs with --quiet) and unlimited keep-alive requests
 * (node:http has no limit either, so neither side pays for reconnects).
 */
export async function startNginx(workDir: string, name: string, site: NginxSite, tls?: NginxTls, role?: Role): Promise<Started> {
  const prefix = fs.mkdtempSync(path.join(workDir, `nginx-${name}-`));
  fs.chmodSync(prefix, 0o755);
  const port = await freePort();
  const running = process.getuid?.() === 0;
  const conf = `
daemon off;
master_process on;
worker_processes 1;
${running ? 'user nobody nogroup;' : ''}
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  types { application/octet-stream bin; }
  default_type application/octet-stream;
  keepalive_requests 100000000;
  keepalive_timeout 65;
  client_body_temp_path ${prefix}/client_body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  ${site.httpExtra ?? ''}
  server {
    listen 127.0.0.1:${port}${tls ? ' ssl' : ''};
    ${tls ? `ssl_certificate ${tls.cert}; ssl_certificate_key ${tls.key}; ssl_session_cache shared:SSL:1m; ssl_session_timeout 10m;` : ''}
    ${site.locations}
  }
}
`;
  const confFile = path.join(prefix, 'nginx.conf');
  fs.writeFileSync(confFile, conf);
  // SIGQUIT: graceful shutdown; the master waits for its worker before it exits.
  return startServer(NGINX, ['-p', `${prefix}/`, '-c', confFile, '-e', `${prefix}/error.log`], { port }, 'SIGQUIT', undefined, role);
}
