/**
 * Rules 5, 8 and 9: module apps of every accepted shape behave exactly as under Express's
 * `app.use(prefix, app)`, compared side by side with a real Express 5 server.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import express from 'express';
import { getRequestListener } from '@hono/node-server';
import { EngineStartError } from '../../src/engine/index';
import { get, makeWorkspace, request, startEngine, type RunningEngine } from './helpers';

const REPO = path.resolve(__dirname, '../../..');
const req = (id: string) => require(require.resolve(id, { paths: [REPO] }));

/** Framework apps as a user would write them; each reports the conventions and redirects. */
const APPS: Record<string, string> = {
  'apps/express-app.js': `const express = require(${JSON.stringify(require.resolve('express', { paths: [REPO] }))});
const app = express();
app.get('/', (req, res) => res.json({ where: 'index', url: req.url, baseUrl: req.baseUrl, originalUrl: req.originalUrl, path: req.path }));
app.get('/users/:id', (req, res) => res.json({ id: req.params.id, baseUrl: req.baseUrl, originalUrl: req.originalUrl, url: req.url }));
app.get('/go', (req, res) => res.redirect(req.baseUrl + '/users/1'));
app.get('/rel', (req, res) => res.redirect('users/2'));
app.post('/echo', express.json(), (req, res) => res.status(201).json(req.body));
const admin = express.Router();
admin.get('/panel', (req, res) => res.json({ baseUrl: req.baseUrl, url: req.url }));
app.use('/admin', admin);
module.exports = app;`,
  'apps/connect-app.js': `const connect = require(${JSON.stringify(require.resolve('connect', { paths: [REPO] }))});
const app = connect();
app.use('/inner', (req, res) => res.end(JSON.stringify({ inner: true, url: req.url, originalUrl: req.originalUrl })));
app.use((req, res, next) => req.url.startsWith('/missing') ? next() : res.end(JSON.stringify({ url: req.url, originalUrl: req.originalUrl, baseUrl: req.baseUrl })));
module.exports = app;`,
  'apps/koa-app.js': `const Koa = require(${JSON.stringify(require.resolve('koa', { paths: [REPO] }))});
const app = new Koa();
app.use(async (ctx) => {
  if (ctx.path === '/go') return ctx.redirect('/koa/there');
  if (ctx.path === '/missing') return;
  ctx.body = { path: ctx.path, url: ctx.url, originalUrl: ctx.originalUrl, query: ctx.query };
});
module.exports = app;`,
  'apps/hono-app.mjs': `import { Hono } from ${JSON.stringify(require.resolve('hono', { paths: [REPO] }).replace(/dist\/cjs\/index\.js$/, 'dist/index.js'))};
const app = new Hono();
app.get('/', (c) => c.json({ where: 'index', path: c.req.path, url: c.req.url.replace(/^http:\\/\\/[^/]+/, '') }));
app.get('/items/:id', (c) => c.json({ id: c.req.param('id'), q: c.req.query('q') }));
app.post('/echo', async (c) => c.json(await c.req.json(), 201));
app.get('/go', (c) => c.redirect('/hono/items/7'));
export default app;`,
  'apps/plain.js': `module.exports = (req, res) => { res.statusCode = req.url === '/teapot' ? 418 : 200; res.end(req.method + ' ' + req.url + ' ' + req.baseUrl); };`,
};

const MOUNTS = [
  { prefix: '/express', module: 'apps/express-app.js' },
  { prefix: '/connect', module: 'apps/connect-app.js' },
  { prefix: '/koa', module: 'apps/koa-app.js' },
  { prefix: '/hono', module: 'apps/hono-app.mjs' },
  { prefix: '/plain', module: 'apps/plain.js' },
];

const PROBES: { method?: string; path: string; body?: string }[] = [
  { path: '/express' },
  { path: '/express/' },
  { path: '/express/?a=1' },
  { path: '/express/users/42?x=y' },
  { path: '/express/go' },
  { path: '/express/rel' },
  { path: '/express/admin/panel' },
  { method: 'POST', path: '/express/echo', body: '{"a":[1,2]}' },
  { path: '/connect' },
  { path: '/connect/inner/deep?q=1' },
  { path: '/connect/some/where' },
  { path: '/koa' },
  { path: '/koa/x/y?z=1' },
  { path: '/koa/go' },
  { path: '/hono' },
  { path: '/hono/' },
  { path: '/hono/items/3?q=s' },
  { path: '/hono/go' },
  { method: 'POST', path: '/hono/echo', body: '{"b":true}' },
  { path: '/plain' },
  { path: '/plain/teapot' },
  { method: 'DELETE', path: '/plain/x?y' },
];

/** The same apps under a real Express 5 server with app.use(prefix, app). */
async function startReference(dir: string): Promise<{ port: number; close(): Promise<void> }> {
  const app = express();
  app.use('/express', req(path.join(dir, 'apps/express-app.js')));
  app.use('/connect', req(path.join(dir, 'apps/connect-app.js')));
  app.use('/koa', req(path.join(dir, 'apps/koa-app.js')).callback());
  const hono = (await import(path.join(dir, 'apps/hono-app.mjs'))).default;
  app.use('/hono', getRequestListener(hono.fetch, { overrideGlobalObjects: false }));
  app.use('/plain', req(path.join(dir, 'apps/plain.js')));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('module apps behave as under Express app.use(prefix, app)', () => {
  let server: RunningEngine;
  let reference: { port: number; close(): Promise<void> };
  before(async () => {
    server = await startEngine({ mounts: MOUNTS }, APPS);
    reference = await startReference(server.dir);
  });
  after(async () => {
    await reference.close();
    await server.stop();
  });

  for (const probe of PROBES) {
    it(`${probe.method ?? 'GET'} ${probe.path}`, async () => {
      const headers: Record<string, string> = probe.body ? { 'Content-Type': 'application/json', Host: 'localhost' } : { Host: 'localhost' };
      const ours = await request({ port: server.port, path: probe.path, method: probe.method, headers, body: probe.body });
      const theirs = await request({ port: reference.port, path: probe.path, method: probe.method, headers, body: probe.body });
      assert.equal(ours.status, theirs.status);
      assert.equal(ours.headers.location, theirs.headers.location);
      assert.equal(ours.headers['content-type'], theirs.headers['content-type']);
      assert.equal(ours.body, theirs.body);
    });
  }

  it('an app calling next() ends in the engine 404, as Express would 404', async () => {
    for (const path of ['/express/nope', '/connect/missing', '/koa/missing']) {
      const ours = await request({ port: server.port, path, headers: { Host: 'localhost' } });
      const theirs = await request({ port: reference.port, path, headers: { Host: 'localhost' } });
      assert.equal(ours.status, 404, path);
      assert.equal(theirs.status, 404, path);
    }
  });
});

describe('module shapes and failures (rules 8 and 9)', () => {
  const FILES: Record<string, string> = {
    'apps/esm-default.mjs': `export default (req, res) => res.end('esm default ' + req.url);`,
    'apps/esm-named.mjs': `export const api = (req, res) => res.end('esm named'); export default () => { throw new Error('wrong export'); };`,
    'apps/cjs-named.js': `exports.handler = (req, res) => res.end('cjs named');`,
    'apps/fetch.mjs': `export default { fetch: (request) => new Response('fetch ' + new URL(request.url).pathname, { headers: { 'x-kind': 'fetch' } }) };`,
    'apps/throws.js': `module.exports = (req, res) => { if (req.url === '/ok') return res.end('fine'); throw new Error('boom in sync'); };`,
    'apps/rejects.js': `module.exports = async (req, res) => { await null; throw Object.assign(new Error('async boom'), { secret: 1 }); };`,
    'apps/next-error.js': `module.exports = (req, res, next) => next(new Error('passed to next'));`,
    'apps/next-status.js': `module.exports = (req, res, next) => { const e = new Error('I am a teapot'); e.status = 418; next(e); };`,
    'apps/half-async.js': `module.exports = async (req, res) => { res.writeHead(200); res.write('partial'); await new Promise((r) => setTimeout(r, 10)); throw new Error('after headers'); };`,
    'apps/fetch-throws.mjs': `export default { fetch: async () => { throw new Error('fetch boom'); } };`,
  };
  const MOUNT_LIST = [
    { prefix: '/esm', module: 'apps/esm-default.mjs' },
    { prefix: '/named', module: 'apps/esm-named.mjs', export: 'api' },
    { prefix: '/cjsnamed', module: 'apps/cjs-named.js', export: 'handler' },
    { prefix: '/fetch', module: 'apps/fetch.mjs' },
    { prefix: '/throws', module: 'apps/throws.js' },
    { prefix: '/rejects', module: 'apps/rejects.js' },
    { prefix: '/nexterr', module: 'apps/next-error.js' },
    { prefix: '/nextstatus', module: 'apps/next-status.js' },
    { prefix: '/halfasync', module: 'apps/half-async.js' },
    { prefix: '/fetchthrows', module: 'apps/fetch-throws.mjs' },
  ];
  let server: RunningEngine;
  before(async () => {
    server = await startEngine({ mounts: MOUNT_LIST }, FILES);
  });
  after(() => server.stop());

  it('loads ESM default and named exports, CommonJS named exports, fetch-style objects', async () => {
    assert.equal((await get(`${server.origin}/esm/x`)).body, 'esm default /x');
    assert.equal((await get(`${server.origin}/named`)).body, 'esm named');
    assert.equal((await get(`${server.origin}/cjsnamed`)).body, 'cjs named');
    const fetched = await get(`${server.origin}/fetch/p`);
    assert.equal(fetched.body, 'fetch /p');
    assert.equal(fetched.headers['x-kind'], 'fetch');
  });

  it('a synchronous throw is a 500 page with the stack, logged with the mount name; the server keeps serving', async () => {
    const failed = await get(`${server.origin}/throws/x`, { headers: { Accept: 'text/html' } });
    assert.equal(failed.status, 500);
    assert.match(failed.body, /boom in sync/);
    assert.match(failed.body, /throws\.js/);
    assert.equal(failed.headers['x-content-type-options'], 'nosniff');
    assert.match(String(failed.headers['content-security-policy']), /default-src 'none'/);
    assert.ok(server.logs.some((line) => line.startsWith('error /throws') && line.includes('boom in sync')), server.logs.join('\n'));
    assert.equal((await get(`${server.origin}/throws/ok`)).body, 'fine');
    assert.equal((await get(`${server.origin}/esm/`)).status, 200);
  });

  it('a rejected promise, next(err) and a throwing fetch app are 500 pages', async () => {
    for (const [path, text] of [['/rejects', 'async boom'], ['/nexterr', 'passed to next'], ['/fetchthrows', 'fetch boom']]) {
      const failed = await get(`${server.origin}${path}`);
      assert.equal(failed.status, 500, path);
      assert.match(failed.body, new RegExp(text), path);
      assert.equal(failed.headers['content-type'], 'text/plain; charset=utf-8');
    }
  });

  it('an error carrying a status keeps it', async () => {
    const failed = await get(`${server.origin}/nextstatus`);
    assert.equal(failed.status, 418);
    assert.match(failed.body, /I am a teapot/);
  });

  it('an error after headers were sent destroys the socket', async () => {
    await assert.rejects(get(`${server.origin}/halfasync`), /socket hang up|aborted|ECONNRESET/);
    assert.equal((await get(`${server.origin}/esm/`)).status, 200);
  });

  it('an app that closes: close() is awaited on stop', async () => {
    const marker = path.join(makeWorkspace(), 'closed.txt');
    const closing = await startEngine({ mounts: [{ prefix: '/c', module: 'c.js' }] }, {
      'c.js': `const fs = require('fs'); const h = (req, res) => res.end('c'); h.close = async () => { await new Promise((r) => setTimeout(r, 50)); fs.writeFileSync(${JSON.stringify(marker)}, 'closed'); }; module.exports = h;`,
    });
    await closing.engine.stop();
    assert.equal(require('node:fs').readFileSync(marker, 'utf8'), 'closed');
    await closing.stop();
  });

  for (const [file, content, expected] of [
    ['bad.js', 'module.exports = 42;', /module .*bad\.js exports a number; expected a function \(req, res, next\), an object with callback\(\) \(Koa\) or an object with fetch\(request\)/],
    ['bad.js', 'module.exports = { a: 1, b: 2 };', /exports an object with keys "a", "b"/],
    ['bad.mjs', 'export const x = 1;', /exports an object with keys "x"/],
  ] as const) {
    it(`a module of the wrong shape fails the start with what was found (${content})`, async () => {
      await assert.rejects(
        startEngine({ mounts: [{ prefix: '/ok', module: 'ok.js' }, { prefix: '/bad', module: file }] }, { [file]: content, 'ok.js': 'module.exports = (q, s) => s.end()' }),
        (error: unknown) => error instanceof EngineStartError && error.reason === 'app' && expected.test(error.message),
      );
    });
  }

  it('a missing named export names the exports that exist', async () => {
    await assert.rejects(
      startEngine({ mounts: [{ prefix: '/x', module: 'x.js', export: 'nope' }] }, { 'x.js': 'exports.one = () => {}; exports.two = 2;' }),
      /has no export named "nope" \(it exports "one", "two"\)/,
    );
  });

  it('a module that fails to load fails the start with its error', async () => {
    await assert.rejects(startEngine({ mounts: [{ prefix: '/x', module: 'x.js' }] }, { 'x.js': 'throw new Error("top-level failure")' }), /top-level failure/);
    await assert.rejects(startEngine({ mounts: [{ prefix: '/x', module: 'missing.js' }] }), /mounts\.json:\d+:\d+: mounts\[0\]\.module "\/x": module .*missing\.js does not exist/);
  });
});
