/**
 * The protocol between the editor's client and a real engine process: JSON-RPC requests typed by
 * one constant at both ends, the engine's errors in their own wire format, the batch ahead of the
 * answer, and a process that is gone failing what is asked of it at once.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineConnection, EngineRequestError } from '../../src/engineProcess/connection';
import { requests, type EngineSnapshot } from '../../src/engineProcess/protocol';
import { statOf } from '../../src/engine/kinds/command/tree';
import { alive } from './fixtures/command/helpers';
import { get, makeWorkspace } from './helpers';

const APP = "module.exports = (req, res) => res.end('app ' + req.url);\n";

describe('engine process: the protocol', function () {
  this.timeout(30_000);
  let dir: string;
  let configFile: string;
  const connections: EngineConnection[] = [];

  function connect(): EngineConnection {
    const connection = new EngineConnection({
      runtime: { execPath: process.execPath, env: {} },
      process: { configFile, restricted: false, accessLog: false, liveReload: false },
      inspect: false,
      heartbeatIntervalMs: 1000,
      heartbeatTimeoutMs: 5000,
    });
    connections.push(connection);
    return connection;
  }

  beforeEach(() => {
    dir = makeWorkspace({ 'app.js': APP });
    configFile = path.join(dir, 'mounts.json');
    fs.writeFileSync(configFile, JSON.stringify({ port: 0, mounts: [{ prefix: '/app', module: 'app.js' }] }));
  });

  afterEach(async () => {
    for (const connection of connections.splice(0)) {
      await connection.kill();
      connection.dispose();
    }
  });

  it('a request is answered after the batch it led to, with the result its type names; stop ends the process by itself', async () => {
    const connection = connect();
    const hello = await connection.ready;
    assert.equal(hello.pid, connection.pid);
    const snapshots: EngineSnapshot[] = [];
    connection.onBatch((batch) => batch.snapshot && snapshots.push(batch.snapshot));
    await connection.request(requests.start, {});
    const started = snapshots.at(-1);
    assert.equal(started?.state, 'started', 'the snapshot of the started engine arrived before the answer');
    assert.equal((await get(`${started.mounts[0].url}x`)).body, 'app /x');
    const reloaded: readonly string[] = await connection.request(requests.fileChanged, { file: path.join(dir, 'app.js') });
    assert.deepEqual(reloaded, ['/app']);
    const result = await connection.request(requests.reloadConfig, {});
    assert.deepEqual(result, { ok: true, outcome: 'applied', problems: [], errors: [] });
    await connection.request(requests.stop, {});
    assert.deepEqual(await connection.exited, { code: 0, signal: null }, 'the process exited by itself after answering');
  });

  it('the answer to stop wins over the exit that follows it, even when both wait for the editor at once', async () => {
    // Node can report a child's exit before the messages it sent last. Holding this process's event
    // loop until the engine process is a zombie puts its answer and its exit before the client
    // together, the way a busy editor meets them; the answer must still be what stop() resolves to.
    for (let round = 0; round < 5; round++) {
      const connection = connect();
      await connection.ready;
      await connection.request(requests.start, {});
      const stopped = connection.request(requests.stop, {});
      const until = Date.now() + 10_000;
      while (statOf(connection.pid!)?.state !== 'Z' && Date.now() < until) {
        // Synchronous on purpose: nothing of this process may run until the other one has exited.
      }
      assert.equal(statOf(connection.pid!)?.state, 'Z', `round ${round}: the engine process exited after its answer`);
      await assert.doesNotReject(stopped, `round ${round}: stop was answered`);
      assert.deepEqual(await connection.exited, { code: 0, signal: null });
    }
  });

  it("the engine's errors keep their wire format; the compiler refuses a request's wrong parameters", async () => {
    fs.writeFileSync(configFile, '{ "port": 0, "mounts": [ { "prefix": "nope", "static": "." } ] }');
    const connection = connect();
    await connection.ready;
    await assert.rejects(connection.request(requests.start, {}), (error: unknown) => {
      assert.ok(error instanceof EngineRequestError);
      assert.equal(error.wire.name, 'EngineStartError');
      assert.equal(error.wire.reason, 'config');
      assert.equal(error.wire.problems?.length, 1);
      assert.match(error.message, /problem/);
      return true;
    });
    await assert.rejects(
      // @ts-expect-error reloadApp takes { id }: its RequestType types the call
      connection.request(requests.reloadApp, { file: 'app.js' }),
      (error: unknown) => error instanceof EngineRequestError && error.wire.name === 'Error' && /No mount "undefined"/.test(error.message),
    );
  });

  it('a request to a process that is gone fails at once with the exit, and so does one pending when it goes', async () => {
    const connection = connect();
    const { pid } = await connection.ready;
    // Stopped, it reads nothing: the request is pending when the process is killed.
    process.kill(pid, 'SIGSTOP');
    const pending = connection.request(requests.start, {});
    process.kill(pid, 'SIGKILL');
    await assert.rejects(pending, { message: 'the engine process was killed by SIGKILL' });
    assert.ok(!alive(pid));
    const later = connection.request(requests.reloadConfig, {});
    const settled = await Promise.race([
      later.then(
        () => 'answered',
        (error: unknown) => (error as Error).message,
      ),
      new Promise((resolve) => setImmediate(() => resolve('still pending'))),
    ]);
    assert.equal(settled, 'the engine process was killed by SIGKILL');
  });
});
