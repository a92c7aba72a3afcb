/**
 * Every configuration the benchmark measures, by group. Each group has a baseline measured in the
 * same run, and its targets are ratios to that baseline (issue 5), never absolute numbers.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { caddyMissing, startCaddy } from './caddy';
import { nginxMissing, nginxProxy, nginxStatic, startNginx } from './nginx';
import { tlsGroups } from './tls';
import { startServer, type Started } from './processes';
import { execFileSync } from 'node:child_process';
import { BENCH_PYTHON, HELLO_BODY, moduleMounts, STATIC_FILES, type Workspace } from './workspace';

export interface Context {
  readonly ws: Workspace;
  /** Node flags for engine processes (e.g. --cpu-prof). */
  readonly engineFlags: readonly string[];
}

/** A configuration while it runs: where to send load, and what a correct answer looks like. */
export interface Running {
  readonly url: string;
  /** Sent with every request (the live reload rows ask as a browser navigating does). */
  readonly headers?: Readonly<Record<string, string>>;
  /** wrk connections, when not the usual 64 (64 at once time out on a busy 2-core machine). */
  readonly connections?: number;
  readonly expectLength?: number;
  /** https: URLs: the CA the answer check trusts (wrk itself does not check certificates). */
  readonly ca?: string;
  readonly processes: readonly Started[];
  /** A plain-Node stand-in for the editor whose own CPU (not its children's) is reported. */
  readonly editorPid?: number;
}

export interface LoadConfig {
  readonly id: string;
  readonly label: string;
  /** Why the configuration cannot run on this machine (the row is marked missing), if it cannot. */
  missing?(): string | undefined;
  start(ctx: Context): Promise<Running>;
}

export type Target =
  | { readonly kind: 'ratio'; readonly min: number }
  | { readonly kind: 'below'; readonly max: number }
  | { readonly kind: 'within'; readonly percent: number }
  | { readonly kind: 'noGrowth' };

export interface LoadGroup {
  readonly id: string;
  readonly title: string;
  readonly load: 'http' | 'ws';
  readonly unit: string;
  readonly baseline: string;
  readonly configs: readonly LoadConfig[];
  readonly targets: Readonly<Record<string, Target>>;
  /** Extra rows: one configuration's rate over another's than the baseline, with its target. */
  readonly comparisons?: readonly Comparison[];
}

export interface Comparison {
  readonly label: string;
  readonly config: string;
  readonly over: string;
  readonly target: Target;
}

export const CHILD = path.join(__dirname, 'child.js');
const CLI = path.join(__dirname, '..', '..', 'dist', 'cli.js');
const READY = /READY (\d+)/;

function child(mode: string, args: object, flags: readonly string[] = []): Promise<Started> {
  return startServer(process.execPath, [...flags, CHILD, mode, JSON.stringify(args)], { readyPattern: READY });
}

function engine(ctx: Context, configFile: string): Promise<Started> {
  return child('engine', { configFile }, ctx.engineFlags);
}

async function withUpstream(mode: string, args: object, then: (upstream: Started) => Promise<Running>): Promise<Running> {
  const upstream = await child(mode, args);
  try {
    const running = await then(upstream);
    return { ...running, processes: [...running.processes, upstream] };
  } catch (error) {
    await upstream.stop();
    throw error;
  }
}

function httpUrl(server: Started, pathname: string): string {
  return `http://127.0.0.1:${server.port}${pathname}`;
}

const hello = (server: Started, pathname: string): Running => ({ url: httpUrl(server, pathname), expectLength: HELLO_BODY.length, processes: [server] });

const dispatch: LoadGroup = {
  id: 'dispatch',
  title: 'Dispatch: the same hello handler',
  load: 'http',
  unit: 'req/s',
  baseline: 'bare',
  targets: { api: { kind: 'ratio', min: 0.95 }, cli: { kind: 'ratio', min: 0.95 }, process: { kind: 'ratio', min: 0.95 } },
  configs: [
    { id: 'bare', label: 'bare node:http', start: async (ctx) => hello(await child('bare', { handler: ctx.ws.handler }), '/app/hello') },
    {
      id: 'api',
      label: 'engine, module mount (API)',
      start: async (ctx) => hello(await engine(ctx, ctx.ws.config('dispatch', { mounts: [{ prefix: '/app', module: 'hello.js' }] })), '/app/hello'),
    },
    {
      id: 'cli',
      label: 'engine, module mount (CLI)',
      missing: () => (fs.existsSync(CLI) ? undefined : `${CLI} not built`),
      start: async (ctx) => {
        const file = ctx.ws.config('dispatch-cli', { mounts: [{ prefix: '/app', module: 'hello.js' }] });
        const server = await startServer(process.execPath, [...ctx.engineFlags, CLI, 'serve', file, '--port', '0', '--quiet'], {
          readyPattern: /Mounts serving http:\/\/[^:]+:(\d+)\//,
        });
        return hello(server, '/app/hello');
      },
    },
    {
      id: 'process',
      label: "engine process started by the editor's client",
      start: async (ctx) => {
        const editor = await child('client', { configFile: ctx.ws.config('dispatch-process', { mounts: [{ prefix: '/app', module: 'hello.js' }] }) });
        return { ...hello(editor, '/app/hello'), editorPid: editor.child.pid };
      },
    },
    {
      id: 'processLog',
      label: "engine process started by the editor's client, access log on (the editor's default)",
      start: async (ctx) => {
        const editor = await child('client', { accessLog: true, configFile: ctx.ws.config('dispatch-process-log', { mounts: [{ prefix: '/app', module: 'hello.js' }] }) });
        return { ...hello(editor, '/app/hello'), editorPid: editor.child.pid };
      },
    },
    { id: 'express', label: "express 5 use('/app', sub)", start: async (ctx) => hello(await child('express', { handler: ctx.ws.handler }), '/app/hello') },
  ],
};

function mountCount(count: number): LoadConfig {
  return {
    id: `m${count}`,
    label: `engine, ${count.toLocaleString('en')} module mounts`,
    start: async (ctx) => hello(await engine(ctx, ctx.ws.config(`mounts-${count}`, { mounts: moduleMounts(count) })), `/m${count - 1}/hello`),
  };
}

const mounts: LoadGroup = {
  id: 'mounts',
  title: 'Mount count: hello at the last mount',
  load: 'http',
  unit: 'req/s',
  baseline: 'm3',
  targets: { m10000: { kind: 'ratio', min: 0.95 } },
  configs: [mountCount(3), mountCount(1000), mountCount(10000)],
};

function staticGroup(file: keyof typeof STATIC_FILES): LoadGroup {
  const size = STATIC_FILES[file];
  const id = `static-${file.replace('.bin', '')}`;
  const url = (server: Started): Running => ({ url: httpUrl(server, `/s/${file}`), expectLength: size, processes: [server] });
  return {
    id,
    title: `Static file of ${size === 1024 ? '1 KiB' : '1 MiB'}`,
    load: 'http',
    unit: 'req/s',
    baseline: 'nginx',
    targets: { engine: { kind: 'ratio', min: 0.5 } },
    configs: [
      {
        id: 'nginx',
        label: 'nginx',
        missing: nginxMissing,
        start: async (ctx) => url(await startNginx(ctx.ws.dir, id, nginxStatic(ctx.ws.files))),
      },
      { id: 'engine', label: 'engine, static mount', start: async (ctx) => url(await engine(ctx, ctx.ws.config(id, { mounts: [{ prefix: '/s', static: 'files' }] }))) },
      {
        id: 'floor',
        label: 'bare node:http, same bytes and headers',
        start: async (ctx) => url(await child('staticFloor', { file: path.join(ctx.ws.files, file), prefix: '/s' })),
      },
      { id: 'send', label: 'plain send', start: async (ctx) => url(await child('send', { root: ctx.ws.files, prefix: '/s' })) },
    ],
  };
}

const proxy: LoadGroup = {
  id: 'proxy',
  title: 'Proxy to the same node:http upstream',
  load: 'http',
  unit: 'req/s',
  baseline: 'nginx',
  targets: { engine: { kind: 'ratio', min: 0.55 } },
  comparisons: [{ label: 'engine over Caddy (ratio to the Caddy row)', config: 'engine', over: 'caddy', target: { kind: 'ratio', min: 1.5 } }],
  configs: [
    {
      id: 'nginx',
      label: 'nginx proxy_pass, keepalive upstream',
      missing: nginxMissing,
      start: (ctx) =>
        withUpstream('bare', { handler: ctx.ws.handler }, async (upstream) => hello(await startNginx(ctx.ws.dir, 'proxy', nginxProxy(upstream.port)), '/api/hello')),
    },
    {
      id: 'engine',
      label: 'engine, proxy mount',
      start: (ctx) =>
        withUpstream('bare', { handler: ctx.ws.handler }, async (upstream) =>
          hello(await engine(ctx, ctx.ws.config('proxy', { mounts: [{ prefix: '/api', proxy: `http://127.0.0.1:${upstream.port}` }] })), '/api/hello'),
        ),
    },
    {
      id: 'caddy',
      label: 'Caddy reverse_proxy, keepalive upstream',
      missing: caddyMissing,
      start: (ctx) =>
        withUpstream('bare', { handler: ctx.ws.handler }, async (upstream) =>
          hello(await startCaddy(ctx.ws.dir, 'proxy', `handle_path /api/* {\n    reverse_proxy 127.0.0.1:${upstream.port}\n  }`), '/api/hello'),
        ),
    },
    {
      id: 'httpProxy3',
      label: 'http-proxy-3, keep-alive agent',
      start: (ctx) =>
        withUpstream('bare', { handler: ctx.ws.handler }, async (upstream) => hello(await child('httpProxy3', { upstreamPort: upstream.port, prefix: '/api' }), '/api/hello')),
    },
    {
      id: 'pipe',
      label: 'plain node:http pipe proxy, keep-alive agent',
      start: (ctx) =>
        withUpstream('bare', { handler: ctx.ws.handler }, async (upstream) => hello(await child('pipe', { upstreamPort: upstream.port, prefix: '/api' }), '/api/hello')),
    },
  ],
};

/** The forwarder with each upstream client, nothing else around it: the client's own share. */
const proxyClient: LoadGroup = {
  id: 'proxy-client',
  title: 'Proxy forwarder alone, by upstream client',
  load: 'http',
  unit: 'req/s',
  baseline: 'node',
  targets: {},
  configs: (['node', 'lean'] as const).map((client) => ({
    id: client,
    label: client === 'node' ? "node:http's client, keep-alive Agent (the fallback)" : "lean client (pooled sockets, Node's llhttp)",
    start: (ctx: Context) =>
      withUpstream('bare', { handler: ctx.ws.handler }, async (upstream) => hello(await child('forwarder', { upstreamPort: upstream.port, prefix: '/api', client }), '/api/hello')),
  })),
};

const websocket: LoadGroup = {
  id: 'websocket',
  title: 'WebSocket echo, 64 clients, 64-byte messages',
  load: 'ws',
  unit: 'msg/s',
  baseline: 'direct',
  targets: { engine: { kind: 'ratio', min: 0.8 } },
  configs: [
    {
      id: 'direct',
      label: 'ws echo server, direct',
      start: async () => {
        const server = await child('wsEcho', {});
        return { url: `ws://127.0.0.1:${server.port}/`, processes: [server] };
      },
    },
    {
      id: 'engine',
      label: 'engine, proxy mount',
      start: (ctx) =>
        withUpstream('wsEcho', {}, async (upstream) => {
          const server = await engine(ctx, ctx.ws.config('websocket', { mounts: [{ prefix: '/ws', proxy: `http://127.0.0.1:${upstream.port}` }] }));
          return { url: `ws://127.0.0.1:${server.port}/ws/`, processes: [server] };
        }),
    },
  ],
};

function cherootMissing(): string | undefined {
  try {
    execFileSync(BENCH_PYTHON, ['-c', 'import cheroot'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return `${BENCH_PYTHON} has no cheroot`;
  }
}

const wsgi: LoadGroup = {
  id: 'wsgi',
  title: 'WSGI hello at /hello',
  load: 'http',
  unit: 'req/s',
  baseline: 'cheroot',
  targets: { engine: { kind: 'ratio', min: 0.8 } },
  configs: [
    {
      id: 'cheroot',
      label: "cheroot's own server, PathInfoDispatcher",
      missing: cherootMissing,
      start: async (ctx) =>
        hello(await startServer(BENCH_PYTHON, [path.join(ctx.ws.dir, 'cheroot_hello.py')], { readyPattern: READY }), '/hello'),
    },
    {
      id: 'engine',
      label: 'engine, wsgi mount (runner on cheroot)',
      missing: cherootMissing,
      start: async (ctx) => hello(await engine(ctx, ctx.ws.config('wsgi', { mounts: [{ prefix: '/hello', wsgi: 'hello_wsgi:app', python: BENCH_PYTHON, reload: false }] })), '/hello'),
    },
  ],
};

/** What a browser sends when it navigates to a page: the only requests live reload changes. */
export const NAVIGATION = { 'Sec-Fetch-Dest': 'document', Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } as const;

/** What fetch() sends: the page goes out as the app wrote it, marked as varying by the navigation headers. */
const FETCH = { 'Sec-Fetch-Dest': 'empty', Accept: '*/*' } as const;

/** A static HTML page of 1 KiB with live reload off and on, asked for with `headers`. */
function liveStaticGroup(id: string, asked: string, headers: Running['headers']): LoadGroup {
  return {
    id,
    title: `Static HTML page of 1 KiB, ${asked}`,
    load: 'http',
    unit: 'req/s',
    baseline: 'off',
    targets: { on: { kind: 'ratio', min: 0.9 } },
    configs: (['off', 'on'] as const).map((mode) => ({
      id: mode,
      label: `engine, static mount, live reload ${mode}`,
      start: async (ctx: Context): Promise<Running> => {
        const server = await engine(ctx, ctx.ws.config(`${id}-${mode}`, { mounts: [{ prefix: '/s', static: 'files', liveReload: mode === 'on' }] }));
        return { url: httpUrl(server, '/s/1k.html'), headers, connections: 8, processes: [server] };
      },
    })),
  };
}

const liveProxy: LoadGroup = {
  id: 'live-proxy',
  title: 'Proxied HTML page of 1 MiB, browser navigation',
  load: 'http',
  unit: 'req/s',
  baseline: 'off',
  targets: {},
  configs: (['off', 'on'] as const).map((mode) => ({
    id: mode,
    label: `engine, proxy mount, ${mode === 'on' ? 'script injected' : 'no injection'}`,
    start: (ctx: Context) =>
      withUpstream('staticFloor', { file: path.join(ctx.ws.files, '1m.html'), prefix: '', contentType: 'text/html; charset=utf-8' }, async (upstream) => {
        const server = await engine(ctx, ctx.ws.config(`live-proxy-${mode}`, { mounts: [{ prefix: '/p', proxy: `http://127.0.0.1:${upstream.port}`, liveReload: mode === 'on' }] }));
        return { url: httpUrl(server, '/p/1m.html'), headers: NAVIGATION, connections: 8, processes: [server] };
      }),
  })),
};
export const LOAD_GROUPS: readonly LoadGroup[] = [
  dispatch,
  mounts,
  staticGroup('1k.bin'),
  staticGroup('1m.bin'),
  proxy,
  proxyClient,
  websocket,
  wsgi,
  liveStaticGroup('live-static', 'browser navigation', NAVIGATION),
  liveStaticGroup('live-static-fetch', 'fetch()', FETCH),
  liveProxy,
  ...tlsGroups({ engine, withUpstream }),
];

/** Groups measured by the engine's own process rather than by load: ids for --only. */
export const OTHER_GROUPS = ['lifecycle', 'rss', 'fds', 'python-start', 'live-rss', 'page-load'] as const;
