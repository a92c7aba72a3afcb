/** Engine lifecycle: states, memoized start/stop, failed starts, graceful stop, reload, hot reload, restricted mode. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { Engine, EngineStartError, type EngineState } from '../../src/engine/index';
import { waitFor } from '../waitFor';
import { freePort, get, isListening, makeWorkspace, recordingLogger, startEngine, untilDispatched } from './helpers';

const HELLO = (text: string) => `module.exports = (req, res) => res.end(${JSON.stringify(text)});`;
const COUNTER = `let count = 0; module.exports = (req, res) => res.end(String(++count));`;

describe('engine lifecycle', () => {
  it('goes stopped -> starting -> started -> stopping -> stopped, one event per change', async () => {
    const dir = makeWorkspace({ 'mounts.json': JSON.stringify({ port: 0, mounts: [{ prefix: '/a', module: 'a.js' }] }), 'a.js': HELLO('a') });
    const engine = new Engine({ configFile: path.join(dir, 'mounts.json') });
    const states: EngineState[] = [];
    engine.onDidChangeState((state) => states.push(state));
    const first = engine.start();
    assert.equal(engine.start(), first, 'start() returns the promise in flight');
    await first;
    await engine.start();
    const port = engine.port!;
    assert.equal((await get(`http://127.0.0.1:${port}/a`)).body, 'a');
    const stopping = engine.stop();
    assert.equal(engine.stop(), stopping, 'stop() returns the promise in flight');
    await stopping;
    await engine.stop();
    assert.deepEqual(states, ['starting', 'started', 'stopping', 'stopped']);
    assert.equal(await isListening(port), false, 'the port is free when stop() resolves');
  });

  it('binds 127.0.0.1 by default, and names it localhost, which frameworks accept as a dev origin', async () => {
    const server = await startEngine({ mounts: [{ prefix: '/', static: 'site' }] }, { 'site/index.html': 'home' });
    try {
      const address = server.engine.httpServer!.address() as AddressInfo;
      assert.equal(address.address, '127.0.0.1');
      assert.equal(server.engine.url, `http://localhost:${server.port}/`);
      assert.equal((await get(server.engine.url)).body, 'home');
    } finally {
      await server.stop();
    }
  });

  it('a port in use fails the start cleanly: stopped, lastError names the port, apps closed', async () => {
    const blocker = http.createServer((_req, res) => res.end('blocker'));
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    const marker = path.join(makeWorkspace(), 'closed');
    const dir = makeWorkspace({
      'mounts.json': JSON.stringify({ port, mounts: [{ prefix: '/a', module: 'a.js' }] }),
      'a.js': `const h = (q, s) => s.end(); h.close = () => require('fs').writeFileSync(${JSON.stringify(marker)}, 'x'); module.exports = h;`,
    });
    const engine = new Engine({ configFile: path.join(dir, 'mounts.json') });
    const states: EngineState[] = [];
    engine.onDidChangeState((state) => states.push(state));
    try {
      await assert.rejects(engine.start(), (error: unknown) => error instanceof EngineStartError && error.reason === 'port');
      assert.equal(engine.state, 'stopped');
      assert.equal(engine.lastError, `port ${port} is in use`);
      assert.deepEqual(states, ['starting', 'stopped']);
      assert.ok(fs.existsSync(marker), 'the app created for the failed start was closed');
      assert.equal((await get(`http://127.0.0.1:${port}/`)).body, 'blocker');
    } finally {
      blocker.close();
    }
  });

  it('an invalid config fails the start with every problem, and the state is stopped', async () => {
    const dir = makeWorkspace({ 'mounts.json': '{ "port": 0, "mounts": [ { "prefix": "blog" }, { "prefix": "/x", "module": "x.js", "static": "y" } ] }' });
    const engine = new Engine({ configFile: path.join(dir, 'mounts.json') });
    await assert.rejects(engine.start(), (error: unknown) => error instanceof EngineStartError && error.reason === 'config' && error.problems.length >= 2);
    assert.equal(engine.state, 'stopped');
    assert.ok(engine.problems.length >= 2);
    assert.match(engine.lastError ?? '', /mounts\.json has \d+ problems/);
  });

  it('stop() closes idle keep-alive connections at once', async () => {
    const server = await startEngine({ mounts: [{ prefix: '/', module: 'a.js' }] }, { 'a.js': HELLO('a') }, { stopGracePeriod: 10_000 });
    const agent = new http.Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) =>
      http.get({ port: server.port, host: '127.0.0.1', agent }, (res) => res.resume().on('end', resolve)).on('error', reject),
    );
    const idleSocket = Object.values(agent.freeSockets).flat()[0]!;
    const closedByServer = new Promise((resolve) => idleSocket.once('close', resolve));
    const started = Date.now();
    await server.stop();
    // Well under the server's 5 s keep-alive timeout and the 10 s grace: an idle connection is
    // closed, not waited on like an in-flight request or left to time out.
    assert.ok(Date.now() - started < 1000, `stop took ${Date.now() - started} ms with an idle keep-alive connection (grace 10 s)`);
    await closedByServer;
    agent.destroy();
  });

  it('stop() lets in-flight requests finish within the grace period', async () => {
    const server = await startEngine(
      { mounts: [{ prefix: '/', module: 'slow.js' }] },
      { 'slow.js': `module.exports = (req, res) => setTimeout(() => res.end('finished'), 300);` },
      { stopGracePeriod: 2000 },
    );
    const inFlight = get(`${server.origin}/`);
    await untilDispatched(server.engine, '/', 1);
    const stopping = server.stop();
    const response = await inFlight;
    await stopping;
    assert.equal(response.body, 'finished');
    assert.equal(await isListening(server.port), false);
  });

  it('stop() destroys what is left after the grace period', async () => {
    const server = await startEngine({ mounts: [{ prefix: '/', module: 'hang.js' }] }, { 'hang.js': `module.exports = () => {};` }, { stopGracePeriod: 300 });
    const inFlight = get(`${server.origin}/`).then(
      () => 'answered',
      () => 'destroyed',
    );
    await untilDispatched(server.engine, '/', 1);
    const started = Date.now();
    await server.stop();
    const took = Date.now() - started;
    assert.equal(await inFlight, 'destroyed');
    // Waited for the grace, then destroyed the request: well before the engine's stop deadline
    // (grace + 10 s), which is what would end a stop that failed to destroy it.
    assert.ok(took >= 250 && took < 300 + 5000, `stop took ${took} ms with grace 300 ms`);
  });

  it('1 000 start/stop cycles leave no open file descriptors behind', async function () {
    this.timeout(60_000);
    const dir = makeWorkspace({ 'mounts.json': JSON.stringify({ port: 0, mounts: [{ prefix: '/a', module: 'a.js' }, { prefix: '/s', static: '.' }] }), 'a.js': HELLO('a') });
    const engine = new Engine({ configFile: path.join(dir, 'mounts.json') });
    const openFds = () => fs.readdirSync('/proc/self/fd').length;
    for (let i = 0; i < 20; i++) await engine.start().then(() => engine.stop());
    const before = openFds();
    for (let i = 0; i < 1000; i++) {
      await engine.start();
      await engine.stop();
    }
    assert.ok(openFds() <= before + 2, `open fds went from ${before} to ${openFds()}`);
  });
});

describe('engine reload', () => {
  it('adds, keeps and removes mounts without dropping the server', async () => {
    const server = await startEngine(
      { mounts: [{ prefix: '/count', module: 'count.js' }, { prefix: '/old', module: 'old.js' }] },
      { 'count.js': COUNTER, 'old.js': HELLO('old'), 'new.js': HELLO('new') },
    );
    try {
      assert.equal((await get(`${server.origin}/count`)).body, '1');
      server.writeConfig({ port: server.port, mounts: [{ prefix: '/count', module: 'count.js', name: 'renamed' }, { prefix: '/new', module: 'new.js' }] });
      const result = await server.engine.reload();
      assert.deepEqual(result, { ok: true, outcome: 'applied', problems: [], errors: [] });
      assert.equal(server.engine.port, server.port, 'same port');
      assert.equal((await get(`${server.origin}/count`)).body, '2', 'the unchanged mount kept its app instance');
      assert.equal((await get(`${server.origin}/new`)).body, 'new');
      assert.equal((await get(`${server.origin}/old`)).status, 404);
      assert.equal(server.engine.mounts().find((m) => m.id === '/count')?.spec.name, 'renamed');
    } finally {
      await server.stop();
    }
  });

  it('an invalid config leaves the running server untouched and returns the problems', async () => {
    const server = await startEngine({ mounts: [{ prefix: '/a', module: 'a.js' }] }, { 'a.js': HELLO('a') });
    try {
      fs.writeFileSync(server.file, '{ "port": 0, "mounts": [ { "prefix": "/a", "module": "a.js" }, { "prefix": "/a/" , "module": "a.js"} ] }');
      const result = await server.engine.reload();
      assert.equal(result.ok, false);
      assert.match(result.problems.map((p) => p.message).join('\n'), /duplicates/);
      assert.equal((await get(`${server.origin}/a`)).body, 'a');
      assert.equal(server.engine.state, 'started');
    } finally {
      await server.stop();
    }
  });

  it('a removed mount closes after its in-flight requests', async () => {
    const server = await startEngine(
      { mounts: [{ prefix: '/slow', module: 'slow.js' }] },
      { 'slow.js': `module.exports = (req, res) => setTimeout(() => res.end('done'), 300);` },
      { stopGracePeriod: 2000 },
    );
    try {
      const inFlight = get(`${server.origin}/slow`);
      await untilDispatched(server.engine, '/slow', 1);
      server.writeConfig({ port: server.port, mounts: [] });
      await server.engine.reload();
      assert.equal((await inFlight).body, 'done');
      assert.equal((await get(`${server.origin}/slow`)).status, 404);
    } finally {
      await server.stop();
    }
  });

  it('a changed port rebinds', async () => {
    const server = await startEngine({ mounts: [{ prefix: '/a', module: 'a.js' }] }, { 'a.js': HELLO('a') });
    const newPort = await freePort();
    try {
      server.writeConfig({ port: newPort, mounts: [{ prefix: '/a', module: 'a.js' }] });
      assert.equal((await server.engine.reload()).ok, true);
      assert.equal(server.engine.port, newPort);
      assert.equal((await get(`http://127.0.0.1:${newPort}/a`)).body, 'a');
      // The old listener closes in the background (it may still be finishing requests): wait for it.
      await waitFor('the old port to be released', async () => !(await isListening(server.port)), 5000);
    } finally {
      await server.stop();
    }
  });
});

describe('module hot reload', () => {
  for (const ext of ['js', 'mjs']) {
    it(`the next request after a change gets the new code (.${ext})`, async () => {
      const source = (text: string) => (ext === 'js' ? HELLO(text) : `export default (req, res) => res.end(${JSON.stringify(text)});`);
      const server = await startEngine({ mounts: [{ prefix: '/m', module: `m.${ext}` }] }, { [`m.${ext}`]: source('v1') });
      try {
        assert.equal((await get(`${server.origin}/m`)).body, 'v1');
        const file = path.join(server.dir, `m.${ext}`);
        fs.writeFileSync(file, source('v2'));
        assert.deepEqual(await server.engine.fileChanged(file), ['/m']);
        assert.equal((await get(`${server.origin}/m`)).body, 'v2');
      } finally {
        await server.stop();
      }
    });
  }

  it('a change to a file the module required from the workspace reloads it', async () => {
    const server = await startEngine(
      { mounts: [{ prefix: '/m', module: 'm.js' }, { prefix: '/other', module: 'other.js' }] },
      { 'm.js': `const t = require('./lib/text'); module.exports = (req, res) => res.end(t);`, 'lib/text.js': `module.exports = 'one';`, 'other.js': HELLO('other') },
    );
    try {
      const lib = path.join(server.dir, 'lib/text.js');
      fs.writeFileSync(lib, `module.exports = 'two';`);
      assert.deepEqual(await server.engine.fileChanged(lib), ['/m'], 'only the mount that depends on it');
      assert.equal((await get(`${server.origin}/m`)).body, 'two');
    } finally {
      await server.stop();
    }
  });

  it('a change to a file an ES module imported from the workspace reloads it', async () => {
    const server = await startEngine(
      { mounts: [{ prefix: '/m', module: 'm.mjs' }] },
      { 'm.mjs': `import { text } from './lib/text.mjs'; export default (req, res) => res.end(text);`, 'lib/text.mjs': `export const text = 'one';` },
    );
    try {
      assert.equal((await get(`${server.origin}/m`)).body, 'one');
      const lib = path.join(server.dir, 'lib/text.mjs');
      fs.writeFileSync(lib, `export const text = 'two';`);
      assert.deepEqual(await server.engine.fileChanged(lib), ['/m']);
      assert.equal((await get(`${server.origin}/m`)).body, 'two');
      fs.writeFileSync(lib, `export const text = 'three';`);
      await server.engine.fileChanged(lib);
      assert.equal((await get(`${server.origin}/m`)).body, 'three');
    } finally {
      await server.stop();
    }
  });

  it('a broken edit keeps the previous version serving and reports the error', async () => {
    const server = await startEngine({ mounts: [{ prefix: '/m', module: 'm.js' }] }, { 'm.js': HELLO('good') });
    try {
      const file = path.join(server.dir, 'm.js');
      fs.writeFileSync(file, 'module.exports = (req, res) => { syntax error');
      await server.engine.fileChanged(file);
      assert.equal((await get(`${server.origin}/m`)).body, 'good');
      const status = server.engine.mounts()[0].status;
      assert.equal(status.state, 'error');
      assert.match(status.reason ?? '', /reload failed, still serving the previous version/);
      await assert.rejects(server.engine.reloadApp('/m'), /Unexpected identifier|SyntaxError|Unexpected token/);
    } finally {
      await server.stop();
    }
  });
});

describe('restricted mode', () => {
  it('refuses module mounts, serves static ones, and starts modules when trusted without a restart', async () => {
    const logs: string[] = [];
    const server = await startEngine(
      { mounts: [{ prefix: '/m', module: 'm.js' }, { prefix: '/s', static: 'site' }] },
      { 'm.js': HELLO('module'), 'site/index.html': '<p>static</p>' },
      { restricted: true, logger: recordingLogger(logs) },
    );
    try {
      const refused = await get(`${server.origin}/m`);
      assert.equal(refused.status, 503);
      assert.match(refused.body, /refused/);
      assert.equal(server.engine.mounts().find((m) => m.id === '/m')?.status.state, 'refused');
      assert.equal((await get(`${server.origin}/s/`)).body, '<p>static</p>');
      await server.engine.setRestricted(false);
      assert.equal((await get(`${server.origin}/m`)).body, 'module');
      assert.equal(server.engine.mounts().find((m) => m.id === '/m')?.status.state, 'ready');
    } finally {
      await server.stop();
    }
  });
});
