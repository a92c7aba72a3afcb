/**
 * Regression: lifecycle calls that interleave (found in review). start, stop, reload and
 * setRestricted used to run concurrently: a reload racing a stop listened again after stop()
 * resolved, two reloads leaked each other's apps, `stop(); start()` ended stopped, and a host
 * name in "host" rebound (cutting in-flight requests) on every reload.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { Engine } from '../../src/engine/index';
import { freePort, get, isListening, makeWorkspace, startEngine, untilDispatched } from './helpers';

const HELLO = (text: string) => `module.exports = (req, res) => res.end(${JSON.stringify(text)});`;

/** A module that records its close() in `markers`. */
const closing = (markers: string, name: string) =>
  `const h = (q, s) => s.end(${JSON.stringify(name)}); h.close = () => require('fs').appendFileSync(${JSON.stringify(markers)}, ${JSON.stringify(name + '\n')}); module.exports = h;`;

describe('regression: interleaved lifecycle calls', () => {
  it('stop() then start() without waiting ends started and serving', async () => {
    const server = await startEngine({ mounts: [{ prefix: '/a', module: 'a.js' }] }, { 'a.js': HELLO('a') });
    try {
      void server.engine.stop();
      await server.engine.start();
      assert.equal(server.engine.state, 'started');
      assert.equal((await get(`${server.engine.url}a`)).body, 'a');
    } finally {
      await server.stop();
    }
  });

  it('start(), stop(), start() without waiting ends started', async () => {
    const dir = makeWorkspace({ 'mounts.json': JSON.stringify({ port: 0, mounts: [{ prefix: '/a', module: 'a.js' }] }), 'a.js': HELLO('a') });
    const engine = new Engine({ configFile: path.join(dir, 'mounts.json') });
    const first = engine.start();
    const stopping = engine.stop();
    const second = engine.start();
    assert.notEqual(second, first, 'a start queued after a stop is a new start');
    await Promise.all([first, stopping, second]);
    assert.equal(engine.state, 'started');
    assert.equal((await get(`${engine.url}a`)).body, 'a');
    await engine.stop();
  });

  it('a reload racing a stop never listens again after stop() resolved', async () => {
    const port = await freePort();
    const markers = path.join(makeWorkspace(), 'closed.txt');
    const server = await startEngine({ port, mounts: [{ prefix: '/a', module: 'a.js' }] }, { 'a.js': closing(markers, 'a'), 'b.js': closing(markers, 'b') });
    server.writeConfig({ port, mounts: [{ prefix: '/a', module: 'a.js' }, { prefix: '/b', module: 'b.js' }] });
    const reloading = server.engine.reload();
    await server.engine.stop();
    await reloading;
    // Lifecycle operations run in call order: once one queued after them is done, nothing the
    // stop or the reload started can still be pending.
    await server.engine.reload();
    assert.equal(server.engine.state, 'stopped');
    assert.equal(await isListening(port), false, 'nothing listens after stop()');
    const closed = fs.readFileSync(markers, 'utf8').split('\n').filter(Boolean).sort();
    assert.deepEqual(closed, closed.includes('b') ? ['a', 'b'] : ['a'], 'every app created was closed');
    await server.engine.start();
    assert.equal((await get(`http://127.0.0.1:${port}/a`)).body, 'a', 'the port can be had again');
    await server.stop();
  });

  it('two reloads at once leak no app: everything they created is closed by stop()', async () => {
    const markers = path.join(makeWorkspace(), 'closed.txt');
    const server = await startEngine({ mounts: [] }, { 'b.js': closing(markers, 'b'), 'c.js': closing(markers, 'c') });
    server.writeConfig({ port: server.port, mounts: [{ prefix: '/b', module: 'b.js' }] });
    const firstReload = server.engine.reload();
    server.writeConfig({ port: server.port, mounts: [{ prefix: '/c', module: 'c.js' }] });
    const secondReload = server.engine.reload();
    await Promise.all([firstReload, secondReload]);
    assert.equal((await get(`${server.origin}/c`)).body, 'c');
    await server.stop();
    const closed = fs.existsSync(markers) ? fs.readFileSync(markers, 'utf8').split('\n').filter(Boolean).sort() : [];
    // The first reload may have read either file version; whatever it created was closed.
    assert.ok(closed.includes('c'), `closed: ${closed.join(', ')}`);
    assert.equal(new Set(closed).size, closed.length, 'nothing closed twice');
  });

  it('setRestricted(false) racing a reload keeps both changes', async () => {
    const server = await startEngine({ mounts: [{ prefix: '/m', module: 'm.js' }] }, { 'm.js': HELLO('m'), 'n.js': HELLO('n') }, { restricted: true });
    try {
      server.writeConfig({ port: server.port, mounts: [{ prefix: '/m', module: 'm.js' }, { prefix: '/n', module: 'n.js' }] });
      await Promise.all([server.engine.reload(), server.engine.setRestricted(false)]);
      assert.equal((await get(`${server.origin}/m`)).body, 'm');
      assert.equal((await get(`${server.origin}/n`)).body, 'n');
    } finally {
      await server.stop();
    }
  });

  it('"host": "localhost" does not rebind on reload, so in-flight requests finish', async () => {
    const port = await freePort();
    const server = await startEngine(
      { host: 'localhost', port, mounts: [{ prefix: '/slow', module: 'slow.js' }] },
      { 'slow.js': `module.exports = (req, res) => setTimeout(() => res.end('done'), 300);`, 'a.js': HELLO('a') },
    );
    try {
      const inFlight = get(`http://127.0.0.1:${port}/slow`);
      await untilDispatched(server.engine, '/slow', 1);
      server.writeConfig({ host: 'localhost', port, mounts: [{ prefix: '/slow', module: 'slow.js' }, { prefix: '/a', module: 'a.js' }] });
      assert.equal((await server.engine.reload()).ok, true);
      assert.equal((await inFlight).body, 'done');
      assert.equal(server.engine.port, port);
      assert.equal((await get(`http://127.0.0.1:${port}/a`)).body, 'a');
    } finally {
      await server.stop();
    }
  });

  it('a rebind to a port in use keeps the old listener serving and reports why', async () => {
    const server = await startEngine({ mounts: [{ prefix: '/a', module: 'a.js' }] }, { 'a.js': HELLO('a') });
    const blocker = http.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      server.writeConfig({ port: taken, mounts: [{ prefix: '/a', module: 'a.js' }] });
      const result = await server.engine.reload();
      assert.equal(result.ok, false);
      assert.match(result.errors.join('\n'), new RegExp(`port ${taken} is in use`));
      assert.equal(server.engine.state, 'started', 'the old listener keeps serving');
      assert.equal((await get(`${server.origin}/a`)).body, 'a');
    } finally {
      blocker.close();
      await server.stop();
    }
  });
});
