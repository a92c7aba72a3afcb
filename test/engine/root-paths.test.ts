/**
 * Root paths of a recognised dev server: Astro's loads its modules from `/@vite/…`, `/src/…` and
 * its HMR socket at `/` whatever its base. Under a prefix Mounts routes those paths to it, over real
 * HTTP to a real process, but only where no mount's prefix matches them, and to no one where two
 * mounts claim them. The dev server is a stand-in `astro` on the package's PATH that answers with
 * its folder's name, the base it was given and the path it got.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { get, rawUpgrade, startEngine, type RunningEngine } from './helpers';

const STAND_IN = `#!/usr/bin/env node
const http = require('node:http');
const path = require('node:path');
const flag = (name) => process.argv[process.argv.indexOf(name) + 1];
const who = (req) => path.basename(process.cwd()) + ' ' + (process.argv.includes('--base') ? flag('--base') : '-') + ' ' + req.url;
const server = http.createServer((req, res) => res.end(who(req)));
server.on('upgrade', (req, socket) => socket.end('HTTP/1.1 101 Switching Protocols\\r\\nConnection: Upgrade\\r\\nUpgrade: websocket\\r\\n\\r\\n' + who(req)));
server.listen(Number(flag('--port')), flag('--host'));
`;

/** The files of an Astro app in `dir` whose dev server is the stand-in. */
function astroApp(dir: string): Record<string, string> {
  return {
    [`${dir}/package.json`]: JSON.stringify({ scripts: { dev: 'astro dev' }, devDependencies: { astro: '*' } }),
    [`${dir}/node_modules/.bin/astro`]: STAND_IN,
  };
}

/** A command mount of the Astro app in `dir`, started by its first request (after `executable`). */
function astroMount(prefix: string, dir: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { prefix, name: dir, command: 'npm run dev', cwd: dir, start: 'onRequest', ...fields };
}

/** Makes the stand-ins runnable: the workspace is written without modes. */
function executable(running: RunningEngine, ...dirs: string[]): void {
  for (const dir of dirs) fs.chmodSync(path.join(running.dir, dir, 'node_modules/.bin/astro'), 0o755);
}

/** The body of the 101 a WebSocket upgrade of `target` got, or the status line of a refusal. */
async function upgrade(running: RunningEngine, target: string, headers: Record<string, string> = {}): Promise<string> {
  const answer = await rawUpgrade(running.port, target, headers, 30_000);
  return answer.startsWith('HTTP/1.1 101') ? answer.slice(answer.indexOf('\r\n\r\n') + 4) : answer.split('\r\n')[0];
}

describe('root paths of a dev server under a prefix', function () {
  this.timeout(60_000);
  let running: RunningEngine | undefined;

  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it('reach it as sent where no mount matches them; mounts keep theirs, other root paths stay unrouted', async () => {
    running = await startEngine(
      { mounts: [astroMount('/docs', 'docs'), { prefix: '/src/shared', static: 'shared' }] },
      { ...astroApp('docs'), 'shared/a.js': 'the static mount' },
    );
    executable(running, 'docs');
    const page = await get(`${running.origin}/docs/guide?x=1`);
    assert.equal(page.status, 200, running.logs.join('\n'));
    assert.equal(page.body, 'docs /docs /docs/guide?x=1');
    for (const target of ['/@vite/client', '/@id/__x00__astro:toolbar:internal', '/@fs/work/x.js?v=1', '/src/pages/index.astro?astro&type=script', '/node_modules/.vite/deps/a.js', '/@vite']) {
      const answer = await get(`${running.origin}${target}`);
      assert.deepEqual([answer.status, answer.body], [200, `docs /docs ${target}`], target);
    }
    // An explicit mount below a root path keeps its own.
    const shared = await get(`${running.origin}/src/shared/a.js`);
    assert.deepEqual([shared.status, shared.body], [200, 'the static mount']);
    // Segment boundaries, and the socket path is for upgrades only.
    for (const target of ['/@vitex', '/srcs/a.js', '/', '/other']) assert.equal((await get(`${running.origin}${target}`)).status, 404, target);
    assert.equal(await upgrade(running, '/?token=abc', { 'Sec-WebSocket-Protocol': 'vite-hmr' }), 'docs /docs /?token=abc');
    assert.equal(await upgrade(running, '/other'), 'HTTP/1.1 404 Not Found');
    assert.ok(!running.logs.some((line) => line.includes('from the root whatever')), running.logs.join('\n'));
  });

  it('never take a request from a mount: a mount at / keeps them all, and says so', async () => {
    running = await startEngine(
      { mounts: [astroMount('/docs', 'docs'), { prefix: '/', static: 'site', name: 'site' }] },
      { ...astroApp('docs'), 'site/@vite/client': 'the site at /', 'site/src/a.js': 'the site at /' },
    );
    executable(running, 'docs');
    assert.equal((await get(`${running.origin}/docs/`)).body, 'docs /docs /docs/');
    for (const target of ['/@vite/client', '/src/a.js']) assert.equal((await get(`${running.origin}${target}`)).body, 'the site at /', target);
    assert.equal((await get(`${running.origin}/@id/x`)).status, 404);
    // The mount at / takes the upgrade, although it accepts none.
    assert.equal(await upgrade(running, '/?token=abc'), 'HTTP/1.1 404 Not Found');
    assert.ok(
      running.logs.includes(
        'warn  "docs" loads /@vite/…, /@id/…, /@fs/…, /src/…, /node_modules/…, WebSocket / from the root whatever its prefix, but "site" serves those paths, so its pages miss them: give "docs" a host of its own ("prefix": "/" and a "host")',
      ),
      running.logs.join('\n'),
    );
  });

  it('go to neither of two mounts that claim them, with a warning naming both', async () => {
    running = await startEngine({ mounts: [astroMount('/a', 'a'), astroMount('/b', 'b')] }, { ...astroApp('a'), ...astroApp('b') });
    executable(running, 'a', 'b');
    assert.equal((await get(`${running.origin}/a/`)).body, 'a /a /a/');
    assert.equal((await get(`${running.origin}/b/`)).body, 'b /b /b/');
    assert.equal((await get(`${running.origin}/@vite/client`)).status, 404);
    assert.equal(await upgrade(running, '/?token=abc'), 'HTTP/1.1 404 Not Found');
    assert.ok(
      running.logs.includes(
        'warn  "a" and "b" both load /@vite/…, /@id/…, /@fs/…, /src/…, /node_modules/…, WebSocket / from the root whatever their prefix, so none of them gets those requests: give each a host of its own ("prefix": "/" and a "host")',
      ),
      running.logs.join('\n'),
    );
  });

  it('of a mount bound to a host are routed on that host only, and need no prefix of it on / mounts', async () => {
    running = await startEngine(
      { mounts: [astroMount('/docs', 'docs', { host: 'docs.localhost' }), astroMount('/', 'root', { host: 'root.localhost' })] },
      { ...astroApp('docs'), ...astroApp('root') },
    );
    executable(running, 'docs', 'root');
    const at = (host: string, target: string) => get(`${running!.origin}${target}`, { headers: { Host: `${host}:${running!.port}` } });
    assert.equal((await at('docs.localhost', '/@vite/client')).body, 'docs /docs /@vite/client');
    assert.equal((await at('other.localhost', '/@vite/client')).status, 404);
    assert.equal((await at('localhost', '/@vite/client')).status, 404);
    // At / the dev server serves its modules at the root by itself: no base, nothing claimed.
    assert.equal((await at('root.localhost', '/@vite/client')).body, 'root - /@vite/client');
    assert.equal(await upgrade(running, '/', { Host: `docs.localhost:${running.port}` }), 'docs /docs /');
  });
});
