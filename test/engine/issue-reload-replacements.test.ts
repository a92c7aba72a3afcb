/**
 * Regressions in how a config reload replaces mounts:
 * - a command mount on a fixed port, edited in mounts.json, failed to start ("port … is already
 *   in use") because its previous version was closed only after the new one had started;
 * - a changed mount whose new version failed to load kept serving the old version, but its status
 *   said nothing: the tree showed it healthy while mounts.json asked for something else;
 * - with both at once (an edited fixed-port command and a new engine port that is busy), the
 *   command was stopped for its port, the rebind failed, and the mount stayed dead for good.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort, get, startEngine, type RunningEngine } from './helpers';
import { SERVER, statusOf, waitFor } from './fixtures/command/helpers';

describe('issue: reloads that replace a mount', function () {
  this.timeout(30_000);
  let running: RunningEngine | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it('restarts an edited command mount on its fixed port', async () => {
    const port = await freePort();
    const mount = (version: string) => ({ prefix: '/p', command: SERVER, port, env: { FROM_CONFIG: version } });
    running = await startEngine({ mounts: [mount('1')] });
    const server = running;
    assert.equal((await get(`${server.origin}/p/env`)).status, 200);

    server.writeConfig({ mounts: [mount('2')] });
    const result = await server.engine.reload();
    assert.deepEqual(result.errors, []);
    await waitFor('the new version to answer', async () => {
      const response = await get(`${server.origin}/p/env`);
      return response.status === 200 && (JSON.parse(response.body) as { FROM_CONFIG?: string }).FROM_CONFIG === '2';
    }, 10_000);
    assert.equal(statusOf(server, '/p').state, 'ready');
    assert.equal(statusOf(server, '/p').port, port);
    assert.ok(server.logs.some((line) => line.includes(`port ${port} is needed again`)), server.logs.join('\n'));
  });

  it('marks a mount whose edit failed to load, while the old version serves', async () => {
    running = await startEngine(
      { mounts: [{ prefix: '/m', module: 'good.js' }] },
      { 'good.js': `module.exports = (req, res) => res.end('good');`, 'bad.js': `module.exports = 42;` },
    );
    const server = running;
    server.writeConfig({ mounts: [{ prefix: '/m', module: 'bad.js' }] });
    const result = await server.engine.reload();
    assert.equal(result.ok, false);
    assert.equal((await get(`${server.origin}/m/`)).body, 'good');
    const info = server.engine.mounts().find((mount) => mount.id === '/m')!;
    assert.equal(info.status.state, 'error');
    assert.match(info.status.reason!, /previous version still serves: .*exports a number/);
    assert.match(info.lastError!, /exports a number/);
    // The same, placed in mounts.json for the editor's Problems panel.
    const [problem] = server.engine.appProblems;
    assert.equal(problem.field, 'mounts[0].module');
    assert.match(problem.message, /^mounts\[0\]\.module "\/m": module .*bad\.js exports a number/);
    assert.equal(JSON.parse(fs.readFileSync(server.file, 'utf8').slice(problem.offset, problem.offset + problem.length)).module, 'bad.js');

    // Put back: the mark goes, without a new version.
    server.writeConfig({ mounts: [{ prefix: '/m', module: 'good.js' }] });
    assert.equal((await server.engine.reload()).ok, true);
    assert.deepEqual(server.engine.appProblems, []);
    const healed = server.engine.mounts().find((mount) => mount.id === '/m')!;
    assert.equal(healed.status.state, 'ready');
    assert.equal(healed.lastError, undefined);
    assert.ok(fs.existsSync(path.join(server.dir, 'good.js')));
  });

  it('a reload whose new address is busy leaves a fixed-port command serving as before', async () => {
    const port = await freePort();
    const blocker = http.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const mount = (version: string) => ({ prefix: '/p', command: SERVER, port, env: { FROM_CONFIG: version } });
      running = await startEngine({ mounts: [mount('1')] });
      const server = running;
      const version = async () => JSON.parse((await get(`${server.origin}/p/env`)).body).FROM_CONFIG as string;
      assert.equal(await version(), '1');

      server.writeConfig({ port: (blocker.address() as AddressInfo).port, mounts: [mount('2')] });
      const result = await server.engine.reload();
      assert.equal(result.ok, false);
      assert.match(result.errors.join(), /is in use/);
      assert.equal(await version(), '1');
      assert.equal(statusOf(server, '/p').state, 'ready');

      server.writeConfig({ mounts: [mount('1')] });
      assert.equal((await server.engine.reload()).ok, true);
      assert.equal(await version(), '1');
    } finally {
      blocker.close();
    }
  });
});
