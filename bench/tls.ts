/**
 * The static 1 KiB and proxy groups again over TLS: the engine with `"https": true` against nginx
 * with `ssl` on its listener. Both serve the same leaf (EC P-256, from the engine's own local CA,
 * made in the bench's workspace) with their default TLS 1.3 suites (the same OpenSSL choice,
 * TLS_AES_256_GCM_SHA384), session resumption on (nginx's shared session cache, Node's default
 * tickets), and wrk keeps its connections alive, so the rows weigh record encryption per request
 * rather than handshakes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { silentLogger } from '../src/engine/logger';
import { certificateNames } from '../src/engine/tls/localHttps';
import { ensureAuthority, ensureLeaf } from '../src/engine/tls/store';
import type { Context, LoadGroup, Running } from './configs';
import { nginxMissing, nginxProxy, nginxStatic, startNginx, type NginxTls } from './nginx';
import type { Started } from './processes';
import { HELLO_BODY, STATIC_FILES, type Workspace } from './workspace';

export interface TlsHelpers {
  engine(ctx: Context, configFile: string): Promise<Started>;
  withUpstream(mode: string, args: object, then: (upstream: Started) => Promise<Running>): Promise<Running>;
}

const prepared = new WeakMap<Workspace, Promise<NginxTls & { readonly ca: string }>>();

/**
 * The leaf both servers use, in files for nginx. MOUNTS_DATA_DIR points the engine children at the
 * same data folder, where they find this very leaf (the same names: 127.0.0.1 and no hosts).
 */
function material(ws: Workspace): Promise<NginxTls & { readonly ca: string }> {
  let pending = prepared.get(ws);
  if (!pending) {
    pending = (async () => {
      const dataDir = path.join(ws.dir, 'mounts-data');
      process.env.MOUNTS_DATA_DIR = dataDir;
      const authority = await ensureAuthority(silentLogger, dataDir);
      const leaf = await ensureLeaf(authority, certificateNames({ allowedHosts: [], mounts: [] }, '127.0.0.1', {}), dataDir);
      const cert = path.join(ws.dir, 'leaf.pem');
      const key = path.join(ws.dir, 'leaf-key.pem');
      fs.writeFileSync(cert, leaf.cert);
      fs.writeFileSync(key, leaf.key, { mode: 0o600 });
      return { cert, key, ca: authority.cert };
    })();
    prepared.set(ws, pending);
  }
  return pending;
}

const httpsUrl = (server: Started, pathname: string) => `https://127.0.0.1:${server.port}${pathname}`;

export function tlsGroups(helpers: TlsHelpers): LoadGroup[] {
  const size = STATIC_FILES['1k.bin'];
  const file = async (ctx: Context, server: Started): Promise<Running> => ({ url: httpsUrl(server, '/s/1k.bin'), expectLength: size, ca: (await material(ctx.ws)).ca, processes: [server] });
  const hello = async (ctx: Context, server: Started): Promise<Running> => ({
    url: httpsUrl(server, '/api/hello'),
    expectLength: HELLO_BODY.length,
    ca: (await material(ctx.ws)).ca,
    processes: [server],
  });
  const staticTls: LoadGroup = {
    id: 'static-1k-tls',
    title: 'Static file of 1 KiB over TLS',
    load: 'http',
    unit: 'req/s',
    baseline: 'nginx',
    targets: { engine: { kind: 'ratio', min: 0.5 } },
    configs: [
      {
        id: 'nginx',
        label: 'nginx, ssl',
        missing: nginxMissing,
        start: async (ctx) => file(ctx, await startNginx(ctx.ws.dir, 'static-tls', nginxStatic(ctx.ws.files), await material(ctx.ws))),
      },
      {
        id: 'engine',
        label: 'engine, static mount, "https": true',
        start: async (ctx) => {
          await material(ctx.ws);
          return file(ctx, await helpers.engine(ctx, ctx.ws.config('static-tls', { https: true, mounts: [{ prefix: '/s', static: 'files' }] })));
        },
      },
    ],
  };
  const proxyTls: LoadGroup = {
    id: 'proxy-tls',
    title: 'Proxy to the same node:http upstream, client side over TLS',
    load: 'http',
    unit: 'req/s',
    baseline: 'nginx',
    targets: { engine: { kind: 'ratio', min: 0.55 } },
    configs: [
      {
        id: 'nginx',
        label: 'nginx, ssl, proxy_pass, keepalive upstream',
        missing: nginxMissing,
        start: (ctx) =>
          helpers.withUpstream('bare', { handler: ctx.ws.handler }, async (upstream) =>
            hello(ctx, await startNginx(ctx.ws.dir, 'proxy-tls', nginxProxy(upstream.port), await material(ctx.ws))),
          ),
      },
      {
        id: 'engine',
        label: 'engine, proxy mount, "https": true',
        start: (ctx) =>
          helpers.withUpstream('bare', { handler: ctx.ws.handler }, async (upstream) => {
            await material(ctx.ws);
            return hello(ctx, await helpers.engine(ctx, ctx.ws.config('proxy-tls', { https: true, mounts: [{ prefix: '/api', proxy: `http://127.0.0.1:${upstream.port}` }] })));
          }),
      },
    ],
  };
  return [staticTls, proxyTls];
}
