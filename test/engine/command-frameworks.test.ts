/**
 * Framework presets of command mounts: `npm run dev` of a Vite, Next.js, SvelteKit, Astro or Nuxt
 * app gets the flags and environment its framework takes, or advice naming the line to add; any
 * other command runs as written. Then real runs: a Vite dev server started by a plain `npm run dev`
 * at a prefix, and apps that ignore $PORT, found on the port they listen on.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { recogniseFramework, type RecognisedFramework } from '../../src/engine/kinds/command/frameworks';
import type { CommandMountSpec } from '../../src/engine/spec';
import { freePort, get, makeWorkspace, startEngine, type RunningEngine } from './helpers';
import { NODE, REPO, statusOf } from './fixtures/command/helpers';

function spec(dir: string, fields: Partial<CommandMountSpec> = {}): CommandMountSpec {
  return {
    index: 0, prefix: '/shop', name: 'shop', liveReload: true, range: { start: 0, end: 0 } as never, kind: 'command',
    command: 'npm run dev', cwd: dir, env: {}, port: 0, readyTimeout: 30, restart: 'on-failure', stripPrefix: true,
    start: 'eager', idleTimeout: 300, timeout: 60, ...fields,
  };
}

/** A package folder with `scripts.dev` and the given dependencies, plus other files. */
function app(dev: string, dependencies: string[], files: Record<string, string> = {}): string {
  const deps = Object.fromEntries(dependencies.map((name) => [name, '*']));
  return makeWorkspace({ 'package.json': JSON.stringify({ scripts: { dev }, devDependencies: deps }), ...files });
}

async function recognise(dir: string, fields: Partial<CommandMountSpec> = {}): Promise<RecognisedFramework> {
  const found = await recogniseFramework(spec(dir, fields));
  assert.ok(found, 'recognised');
  return found;
}

describe('command mounts: framework presets', () => {
  const dirs: string[] = [];
  const made = (dir: string) => (dirs.push(dir), dir);
  after(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  it('gives Vite its port, bind address and base on the command line and forwards the prefix', async () => {
    const vite = await recognise(made(app('vite', ['vite', 'react'])));
    assert.equal(vite.preset.name, 'Vite');
    assert.equal(vite.rootPaths, undefined);
    assert.equal(vite.command(4000), 'npm run dev -- --port 4000 --strictPort --host 127.0.0.1 --base /shop/');
    assert.equal(vite.spec.stripPrefix, false);
    assert.deepEqual(vite.advice, []);
  });

  it('passes the flags without `--` for pnpm, yarn and bun, and none of the base for a / mount', async () => {
    const dir = made(app('vite dev', ['vite']));
    assert.equal((await recognise(dir, { command: 'pnpm dev' })).command(1), 'pnpm dev --port 1 --strictPort --host 127.0.0.1 --base /shop/');
    assert.equal((await recognise(dir, { command: 'yarn run dev' })).command(1), 'yarn run dev --port 1 --strictPort --host 127.0.0.1 --base /shop/');
    assert.equal((await recognise(dir, { command: 'bun run dev', prefix: '/' })).command(1), 'bun run dev --port 1 --strictPort --host 127.0.0.1');
  });

  it('keeps a prefix the mount strips itself out of the base', async () => {
    const vite = await recognise(made(app('vite', ['vite'])), { stripPrefix: true, stripPrefixSet: true });
    assert.equal(vite.command(2), 'npm run dev -- --port 2 --strictPort --host 127.0.0.1');
    assert.equal(vite.spec.stripPrefix, true);
  });

  it('tells SvelteKit users the one line for svelte.config.js, unless it sets a base', async () => {
    const bare = await recognise(made(app('vite dev', ['vite', '@sveltejs/kit'], { 'svelte.config.js': 'export default { kit: {} };\n// base: not yet\n' })));
    assert.equal(bare.preset.name, 'SvelteKit');
    assert.equal(bare.command(3), 'npm run dev -- --port 3 --strictPort --host 127.0.0.1');
    assert.equal(bare.spec.stripPrefix, false);
    assert.deepEqual(bare.advice, ["SvelteKit takes its base path only from svelte.config.js: add `paths: { base: process.env.MOUNT_PREFIX ?? '' },` inside its `kit: { … }`"]);
    const done = await recognise(made(app('vite dev', ['vite', '@sveltejs/kit'], { 'svelte.config.js': "export default { kit: { paths: { base: process.env.MOUNT_PREFIX ?? '' } } };\n" })));
    assert.deepEqual(done.advice, []);
    assert.deepEqual((await recognise(made(app('vite dev', ['vite', '@sveltejs/kit'])), { prefix: '/' })).advice, []);
  });

  it('gives Next.js its port and 127.0.0.1, and names the next.config lines for a base path and a host', async () => {
    const dir = made(app('next dev --turbopack', ['next', 'react'], { 'next.config.ts': 'const config = {};\nexport default config;\n' }));
    const next = await recognise(dir, { host: 'shop.test' });
    assert.equal(next.preset.name, 'Next.js');
    assert.equal(next.command(5), 'npm run dev -- --port 5 --hostname 127.0.0.1');
    assert.deepEqual(next.advice, [
      'Next.js takes its base path only from next.config.ts: add `basePath: process.env.MOUNT_PREFIX,` to the config object',
      "Next.js accepts dev requests from shop.test only when next.config.ts says so: add `allowedDevOrigins: ['shop.test'],` to the config object",
    ]);
    assert.deepEqual((await recognise(dir, { prefix: '/', host: 'shop.localhost' })).advice, []);
    const configured = made(app('next dev', ['next'], { 'next.config.mjs': 'export default { basePath: process.env.MOUNT_PREFIX };\n' }));
    assert.deepEqual((await recognise(configured)).advice, []);
    assert.ok((await recognise(configured)).rootPaths?.prefixes.includes('/__nextjs_font'));
    assert.equal((await recognise(configured, { prefix: '/' })).rootPaths, undefined);
  });

  it('gives Astro its base as a flag and claims its root paths under a prefix, and Nuxt its base in NUXT_APP_BASE_URL (and names an app.baseURL that overrides it)', async () => {
    const astro = await recognise(made(app('astro dev', ['astro'])));
    assert.equal(astro.command(6), 'npm run dev -- --port 6 --host 127.0.0.1 --base /shop');
    assert.deepEqual(astro.advice, []);
    assert.deepEqual(astro.rootPaths, { prefixes: ['/@vite', '/@id', '/@fs', '/src', '/node_modules'], sockets: ['/'] });
    const atRoot = await recognise(made(app('astro dev', ['astro'])), { prefix: '/', host: 'astro.localhost' });
    assert.deepEqual([atRoot.advice, atRoot.rootPaths], [[], undefined]);
    const nuxt = await recognise(made(app('nuxt dev', ['nuxt'])), { env: { OWN: '1' } });
    assert.equal(nuxt.command(7), 'npm run dev -- --port 7 --host 127.0.0.1');
    assert.deepEqual(nuxt.spec.env, { NUXT_APP_BASE_URL: '/shop/', OWN: '1' });
    assert.equal(nuxt.spec.stripPrefix, false);
    assert.deepEqual(nuxt.advice, []);
    // An app.baseURL written in nuxt.config wins over the variable: the log names it.
    const fixed = made(app('nuxt dev', ['nuxt'], { 'nuxt.config.ts': "export default defineNuxtConfig({ app: { baseURL: '/' } })\n" }));
    assert.deepEqual((await recognise(fixed)).advice, ["nuxt.config.ts sets app.baseURL, which Nuxt takes over NUXT_APP_BASE_URL (/shop/): remove it, or write `baseURL: process.env.NUXT_APP_BASE_URL ?? '/',`"]);
    assert.deepEqual((await recognise(fixed, { prefix: '/', host: 'shop.localhost' })).advice, []);
    const reads = made(app('nuxt dev', ['nuxt'], { 'nuxt.config.ts': "export default defineNuxtConfig({ app: { baseURL: process.env.NUXT_APP_BASE_URL ?? '/' } })\n" }));
    assert.deepEqual((await recognise(reads)).advice, []);
  });

  it('runs as written: commands with arguments, other scripts, chained scripts, no package.json', async () => {
    const vite = made(app('vite', ['vite']));
    assert.equal(await recogniseFramework(spec(vite, { command: 'npm run dev -- --port $PORT' })), undefined);
    assert.equal(await recogniseFramework(spec(vite, { command: 'npm run build' })), undefined);
    assert.equal(await recogniseFramework(spec(made(app('vite build', ['vite'])))), undefined);
    assert.equal(await recogniseFramework(spec(made(app('tsc && vite', ['vite'])))), undefined);
    assert.equal(await recogniseFramework(spec(made(app('vite', [])))), undefined);
    assert.equal(await recogniseFramework(spec(made(makeWorkspace()))), undefined);
  });
});

describe('command mounts: real dev servers and ports', function () {
  this.timeout(60_000);
  let running: RunningEngine | undefined;

  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it('serves a Vite app started by a plain `npm run dev` under its prefix', async () => {
    running = await startEngine(
      { mounts: [{ prefix: '/shop', command: 'npm run dev', cwd: 'shop' }] },
      {
        'shop/package.json': JSON.stringify({ scripts: { dev: 'vite' }, devDependencies: { vite: '*' } }),
        'shop/index.html': '<!doctype html><title>shop</title><script type="module" src="/main.js"></script>\n',
        'shop/main.js': "document.title = 'loaded';\n",
      },
    );
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(running.dir, 'shop/node_modules'));
    const page = await get(`${running.origin}/shop/`);
    assert.equal(page.status, 200, running.logs.join('\n'));
    assert.match(page.body, /<script type="module" src="\/shop\/@vite\/client"><\/script>/);
    assert.match(page.body, /src="\/shop\/main\.js"/);
    const main = await get(`${running.origin}/shop/main.js`);
    assert.equal(main.status, 200);
    assert.match(main.body, /document\.title = 'loaded'/);
    assert.ok(running.logs.some((line) => line.includes('a Vite dev server: Mounts passes it its port and base path')), running.logs.join('\n'));
  });

  it('finds an app that ignores $PORT on the port it listens on, long before readyTimeout', async () => {
    const fixed = await freePort();
    const server = `require('http').createServer((q, s) => s.end('fixed port ' + q.url)).listen(${fixed}, '127.0.0.1')`;
    running = await startEngine({ mounts: [{ prefix: '/own', command: `${NODE} -e ${JSON.stringify(server)}`, readyTimeout: 20 }] });
    const started = Date.now();
    const answer = await get(`${running.origin}/own/x`);
    assert.equal(answer.status, 200, answer.body);
    assert.equal(answer.body, 'fixed port /x');
    // Well within the 20 s it would otherwise wait before a 503.
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    assert.equal(statusOf(running, '/own').port, fixed);
    assert.ok(running.logs.some((line) => line.includes(`listens on port ${fixed}, not on the port Mounts gave it`)), running.logs.join('\n'));
  });

  it('names the port an app listens on instead when that port never becomes ready', async () => {
    const fixed = await freePort();
    const server = `require('http').createServer((q, s) => { s.statusCode = 503; s.end(); }).listen(${fixed}, '127.0.0.1')`;
    running = await startEngine({ mounts: [{ prefix: '/own', command: `${NODE} -e ${JSON.stringify(server)}`, readyPath: '/health', readyTimeout: 2 }] });
    const answer = await get(`${running.origin}/own/`);
    assert.equal(answer.status, 503);
    assert.match(statusOf(running, '/own').reason ?? '', new RegExp(`GET /health did not answer without an error; it listens on port ${fixed} instead`));
  });
});
