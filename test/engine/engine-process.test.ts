/**
 * The editor's client against a real engine process (forked on this Node, as the editor forks it
 * on the user's): start, reload, problems, batching under load, heartbeat loss, a crash, and an
 * editor that is SIGKILLed leaving nothing behind.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { EngineClient, EngineStartError, type AppError, type EngineCrash } from '../../src/engineProcess/client';
import { alive, SERVER, waitFor } from './fixtures/command/helpers';
import { get, isListening, makeWorkspace, recordingLogger, taggedProcesses } from './helpers';

const THIS_NODE = async () => ({ execPath: process.execPath, version: process.version, env: {}, source: 'path' as const });
const STAND_IN = path.join(__dirname, 'fixtures', 'engineProcess', 'editorStandIn.js');

const APP = `module.exports = (req, res) => {
  if (req.url === '/pid') return res.end(String(process.pid));
  if (req.url === '/exit') { console.log('the app is about to exit'); res.end('bye', () => process.exit(1)); return; }
  if (req.url === '/throw-later') { setTimeout(() => { throw new Error('thrown from an app timer'); }, 5); return res.end('scheduled'); }
  if (req.url === '/reject-later') { setTimeout(() => Promise.reject(new Error('rejected in an app timer')), 5); return res.end('scheduled'); }
  res.end('app ' + req.url);
};
`;

describe('engine process: the client against a real engine process', function () {
  this.timeout(30_000);
  let client: EngineClient | undefined;
  let dir: string;
  let configFile: string;
  let logs: string[];

  function writeConfig(config: object | string): void {
    fs.writeFileSync(configFile, typeof config === 'string' ? config : JSON.stringify({ port: 0, ...config }, null, 2));
  }

  function createClient(options: Partial<ConstructorParameters<typeof EngineClient>[0]> = {}): EngineClient {
    client = new EngineClient({ configFile, runtime: THIS_NODE, logger: recordingLogger(logs), accessLog: false, ...options });
    return client;
  }

  beforeEach(() => {
    dir = makeWorkspace({ 'app.js': APP, 'public/index.html': 'static page' });
    configFile = path.join(dir, 'mounts.json');
    logs = [];
    writeConfig({ mounts: [{ prefix: '/app', module: 'app.js' }, { prefix: '/s', static: 'public' }] });
  });

  afterEach(async () => {
    const pid = client?.pid;
    await client?.stop();
    client?.dispose();
    client = undefined;
    if (pid !== undefined) assert.ok(!alive(pid), `engine process ${pid} is gone after stop()`);
  });

  it('start runs the apps in the engine process, not here; stop frees the port and ends the process', async () => {
    const engine = createClient();
    await engine.start();
    assert.equal(engine.state, 'started');
    const pid = engine.pid!;
    assert.ok(pid !== process.pid && alive(pid));
    assert.equal((await get(`${engine.urlOf({ prefix: '/app' })}pid`)).body, String(pid));
    assert.equal((await get(`${engine.urlOf({ prefix: '/s' })}`)).body, 'static page');
    assert.deepEqual(
      engine.mounts().map((mount) => [mount.id, mount.status.state]),
      [
        ['/app', 'ready'],
        ['/s', 'ready'],
      ],
    );
    assert.equal(engine.runtime?.execPath, process.execPath);
    assert.ok(logs.some((line) => line.includes(`engine process ${pid} on Node ${process.version}`)), logs.join('\n'));
    const port = engine.port!;
    await engine.stop();
    assert.equal(engine.state, 'stopped');
    assert.equal(await isListening(port), false);
    assert.ok(!alive(pid), 'the engine process exited');
    assert.equal(engine.pid, undefined);
  });

  it('reload applies a new mounts.json; a broken one leaves the server serving and reports its problems', async () => {
    const engine = createClient();
    await engine.start();
    writeConfig({ mounts: [{ prefix: '/app', module: 'app.js' }, { prefix: '/t', static: 'public' }] });
    const result = await engine.reload();
    assert.equal(result.ok, true);
    assert.deepEqual(engine.mounts().map((mount) => mount.id), ['/app', '/t']);
    assert.equal((await get(`${engine.urlOf({ prefix: '/t' })}`)).body, 'static page');

    writeConfig('{ "port": 0, "mounts": [ { "prefix": "/x", "static": 12 } ] }');
    const broken = await engine.reload();
    assert.equal(broken.ok, false);
    assert.equal(engine.state, 'started');
    assert.equal(engine.problems.length, 1);
    assert.match(engine.problems[0].message, /static/);
    assert.equal(engine.problems[0].line, 1);
    assert.equal((await get(`${engine.urlOf({ prefix: '/t' })}`)).body, 'static page', 'the previous mounts still serve');
  });

  it('a changed file hot-reloads the module apps that loaded it, and only those', async () => {
    const engine = createClient();
    await engine.start();
    assert.equal((await get(`${engine.urlOf({ prefix: '/app' })}x`)).body, 'app /x');
    fs.writeFileSync(path.join(dir, 'app.js'), "module.exports = (req, res) => res.end('changed ' + req.url);");
    assert.deepEqual(await engine.fileChanged(path.join(dir, 'app.js')), ['/app']);
    assert.equal((await get(`${engine.urlOf({ prefix: '/app' })}x`)).body, 'changed /x');
    assert.deepEqual(await engine.fileChanged(path.join(dir, 'public', 'index.html')), []);
  });

  it('a start that fails reports its problems and leaves no process; without a process the client reads the config itself', async () => {
    writeConfig('{ "port": 0, "mounts": [ { "prefix": "nope", "static": "public" } ] }');
    const engine = createClient();
    const problems = await engine.readConfig();
    assert.equal(problems.length, 1, 'read without an engine process');
    assert.equal(engine.pid, undefined);
    await assert.rejects(engine.start(), (error: unknown) => error instanceof EngineStartError && error.reason === 'config' && error.problems.length === 1);
    assert.equal(engine.state, 'stopped');
    assert.match(engine.lastError ?? '', /problem/);
    assert.equal(engine.pid, undefined);
    assert.equal(engine.problems.length, 1);
  });

  it('an app that cannot load is an app problem at its mount', async () => {
    writeConfig({ mounts: [{ prefix: '/m', module: 'missing.js' }] });
    const engine = createClient();
    await assert.rejects(engine.start(), (error: unknown) => error instanceof EngineStartError && error.reason === 'app');
    assert.equal(engine.appProblems.length, 1);
    assert.equal(engine.appProblems[0].field, 'mounts[0].module');
  });

  it('batches what the engine reports under load: a few messages a second, and the request counter ends exact', async () => {
    const engine = createClient({ accessLog: true });
    await engine.start();
    let events = 0;
    engine.onDidChangeMounts(() => events++);
    const url = `${engine.urlOf({ prefix: '/app' })}load`;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
    const total = 4000;
    const started = Date.now();
    let sent = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (sent < total) {
          sent++;
          await new Promise<void>((resolve, reject) => {
            http.get(url, { agent }, (res) => res.resume().on('end', resolve)).on('error', reject);
          });
        }
      }),
    );
    agent.destroy();
    const counted = await waitFor(`the counter to reach ${total}`, () => engine.mounts().find((mount) => mount.id === '/app')!.requests === total && Date.now(), 5000);
    const seconds = (counted - started) / 1000;
    // One batch per 250 ms at most, plus the one that carried the start.
    assert.ok(events <= Math.ceil(seconds * 4) + 2, `${events} mounts events in ${seconds.toFixed(2)} s`);
    const access = logs.filter((line) => line.startsWith('access'));
    assert.ok(access.length > 0 && access.length < total, `${access.length} access lines reached the editor`);
    assert.ok(logs.some((line) => /more log lines not shown/.test(line)), 'the dropped lines are counted');
  });

  it('a process that stops answering its heartbeat is unresponsive, recovers, and stop() kills it when it stays silent', async () => {
    const engine = createClient({ heartbeatIntervalMs: 100, heartbeatTimeoutMs: 1000 });
    await engine.start();
    const pid = engine.pid!;
    const changes: boolean[] = [];
    engine.onDidChangeState(() => changes.push(engine.responsive));
    process.kill(pid, 'SIGSTOP');
    try {
      await waitFor('the heartbeat to be missed', () => !engine.responsive, 5000);
      assert.equal(engine.state, 'started');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitFor('the process to answer again', () => engine.responsive, 5000);
    assert.deepEqual(changes, [false, true]);

    process.kill(pid, 'SIGSTOP');
    await waitFor('the heartbeat to be missed again', () => !engine.responsive, 5000);
    const port = engine.port!;
    await engine.stop();
    assert.ok(!alive(pid), 'the silent process was killed');
    assert.equal(await isListening(port), false);
  });

  it('a crash (the app calls process.exit) is an error with the exit and the last lines; start serves again', async () => {
    const engine = createClient();
    await engine.start();
    const crashed = new Promise<EngineCrash>((resolve) => engine.onDidCrash(resolve));
    await get(`${engine.urlOf({ prefix: '/app' })}exit`).catch(() => undefined);
    const crash = await crashed;
    assert.equal(crash.reason, 'the engine process exited with code 1');
    assert.ok(crash.lastLines.includes('the app is about to exit'), crash.lastLines.join('\n'));
    // The agent tools read the run's lines from the client: they outlive its process.
    assert.ok(engine.recentLog.read({ source: 'stdout', limit: 100 }).lines.some((line) => line.message === 'the app is about to exit'));
    assert.equal(engine.state, 'stopped');
    assert.equal(engine.lastError, 'the engine process exited with code 1');
    assert.equal(engine.pid, undefined);
    await engine.start();
    assert.equal((await get(`${engine.urlOf({ prefix: '/app' })}again`)).body, 'app /again');
    assert.equal(engine.crash, undefined);
  });

  for (const { route, kind, thrown } of [
    { route: 'throw-later', kind: 'uncaught error', thrown: 'Error: thrown from an app timer' },
    { route: 'reject-later', kind: 'unhandled promise rejection', thrown: 'Error: rejected in an app timer' },
  ] as const) {
    it(`an app's ${kind} outside a request is reported with its stack and ends the process, which is the error; start serves again`, async () => {
      const engine = createClient();
      await engine.start();
      const pid = engine.pid!;
      const reported = new Promise<AppError>((resolve) => engine.onAppError(resolve));
      const crashed = new Promise<EngineCrash>((resolve) => engine.onDidCrash(resolve));
      assert.equal((await get(`${engine.urlOf({ prefix: '/app' })}${route}`)).body, 'scheduled');
      const error = await reported;
      assert.equal(error.kind, kind);
      assert.ok(error.error.startsWith(`${thrown}\n`), error.error);
      assert.match(error.error, /\n\s+at .*app\.js:\d+/);
      const crash = await crashed;
      assert.equal(crash.reason, `an app's ${kind} ended the engine process: ${thrown}`);
      assert.ok(crash.lastLines.some((line) => /app\.js:\d+/.test(line)), crash.lastLines.join('\n'));
      const logged = engine.recentLog.read({ limit: 100 }).lines.find((line) => line.level === 'error' && line.error?.startsWith(thrown));
      assert.equal(logged?.message, `an app's ${kind} ended the engine process`);
      assert.equal(engine.state, 'stopped');
      assert.equal(engine.lastError, crash.reason);
      await waitFor('the engine process to be gone', () => !alive(pid), 5000);
      await engine.start();
      assert.equal((await get(`${engine.urlOf({ prefix: '/app' })}still`)).body, 'app /still');
      assert.equal(engine.lastError, undefined);
    });
  }

  it('debug() restarts the run with the inspector on a loopback port; the run keeps serving', async () => {
    const engine = createClient();
    await engine.start();
    const before = engine.pid!;
    const { port, url } = await engine.debug();
    assert.ok(port > 0);
    assert.match(url, /^ws:\/\/127\.0\.0\.1:\d+\//);
    assert.notEqual(engine.pid, before);
    assert.ok(!alive(before), 'the run without the inspector ended');
    const json = await get(`http://127.0.0.1:${port}/json/list`);
    assert.equal((JSON.parse(json.body) as { id: string }[]).length, 1, 'the inspector answers');
    assert.equal((await get(`${engine.urlOf({ prefix: '/app' })}pid`)).body, String(engine.pid));
  });

  it('an editor that is SIGKILLed leaves nothing behind: the engine process exits within 2 s, its commands follow', async () => {
    const tag = randomUUID();
    writeConfig({ mounts: [{ prefix: '/app', module: 'app.js' }, { prefix: '/cmd', command: SERVER, env: { MOUNTS_TEST_TAG: tag } }] });
    const editor = spawn(process.execPath, [STAND_IN, configFile], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const serving = await new Promise<{ pid: number; port: number }>((resolve, reject) => {
        editor.stdout.once('data', (chunk: Buffer) => resolve((JSON.parse(chunk.toString()) as { serving: { pid: number; port: number } }).serving));
        editor.once('exit', (code) => reject(new Error(`the stand-in exited with ${code}`)));
      });
      await get(`http://127.0.0.1:${serving.port}/cmd/env`);
      const commands = taggedProcesses(tag);
      assert.ok(commands.length > 0 && alive(serving.pid));
      editor.kill('SIGKILL');
      await waitFor('the engine process to exit', () => !alive(serving.pid), 2000);
      // Its command supervisors see it go the same way, and take their commands down within a second.
      await waitFor('the commands to end', () => taggedProcesses(tag).length === 0, 1500);
      assert.equal(await isListening(serving.port), false);
    } finally {
      editor.kill('SIGKILL');
      for (const pid of taggedProcesses(tag)) process.kill(pid, 'SIGKILL');
    }
  });
});
