/**
 * Which Python runs a wsgi mount: the mount's `python`, else the engine's default (the CLI's
 * --python, the editor's selected interpreter through `setPython`), else python3 on the PATH. Every
 * choice is logged with where it came from; a missing or too old interpreter is an error saying so.
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { get, makeWorkspace, startEngine, type RunningEngine } from './helpers';
import { REPO, statusOf, waitFor } from './fixtures/command/helpers';
import { PYTHON } from './fixtures/python/helpers';

/** A WSGI app that answers with the interpreter running it. */
const WHICH = `import sys


def app(environ, start_response):
    body = sys.executable.encode()
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])
    return [body]
`;

/** A real Python 3.7 (pyenv's, on the test machine): the runner must refuse it by its version. */
const PYTHON_37 = path.join(os.homedir(), '.pyenv/versions/3.7.16/bin/python3.7');

describe('wsgi mounts: the interpreter', function () {
  this.timeout(30_000);
  let running: RunningEngine | undefined;
  let venvPython: string;

  before(() => {
    // A second real interpreter, told apart from Debian's by sys.executable.
    const venv = path.join(makeWorkspace(), 'venv');
    execFileSync(PYTHON, ['-m', 'venv', '--without-pip', venv]);
    venvPython = path.join(venv, 'bin', 'python');
  });

  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  const errorOf = (prefix: string) =>
    waitFor(`${prefix} in error`, () => {
      const status = statusOf(running!, prefix);
      return status.state === 'error' && status;
    }, 15_000);

  it("runs the mount's python over the engine's default, and restarts the others when the default changes", async () => {
    running = await startEngine(
      { mounts: [{ prefix: '/own', wsgi: 'which:app', python: PYTHON }, { prefix: '/default', wsgi: 'which:app' }] },
      { 'which.py': WHICH },
      { python: { command: venvPython, source: '--python' } },
    );
    assert.equal((await get(`${running.origin}/own/`)).body, PYTHON);
    assert.equal((await get(`${running.origin}/default/`)).body, venvPython);
    assert.ok(running.logs.some((line) => line.includes(`runs on ${PYTHON} (the mount's "python" in mounts.json)`)), running.logs.join('\n'));
    assert.ok(running.logs.some((line) => line.includes(`runs on ${venvPython} (--python)`)), running.logs.join('\n'));
    const ownPid = statusOf(running, '/own').pid;

    await running.engine.setPython({ command: PYTHON, source: "the Python extension's interpreter" });
    assert.equal((await get(`${running.origin}/default/`)).body, PYTHON);
    assert.ok(running.logs.some((line) => line.includes(`runs on ${PYTHON} (the Python extension's interpreter)`)), running.logs.join('\n'));
    assert.equal(statusOf(running, '/own').pid, ownPid, 'a mount with its own python keeps running');
  });

  it('falls back to python3 on the PATH', async () => {
    const bin = path.join(makeWorkspace(), 'bin');
    fs.mkdirSync(bin);
    fs.symlinkSync(venvPython, path.join(bin, 'python3'));
    running = await startEngine({ mounts: [{ prefix: '/app', wsgi: 'which:app', env: { PATH: `${bin}:/usr/bin:/bin` } }] }, { 'which.py': WHICH });
    assert.equal((await get(`${running.origin}/app/`)).body, path.join(bin, 'python3'));
    assert.ok(running.logs.some((line) => line.includes(`runs on ${path.join(bin, 'python3')} (python3 on the PATH)`)), running.logs.join('\n'));
  });

  it('names a missing interpreter and where it came from', async () => {
    running = await startEngine(
      { mounts: [{ prefix: '/own', wsgi: 'which:app', python: 'nope/python' }, { prefix: '/default', wsgi: 'which:app' }] },
      { 'which.py': WHICH },
      { python: { command: 'python9.99', source: '--python' } },
    );
    const own = await errorOf('/own');
    assert.equal(own.reason, `could not be started: python "${path.join(running.dir, 'nope/python')}" (the mount's "python" in mounts.json) does not exist`);
    const fallback = await errorOf('/default');
    assert.equal(fallback.reason, 'could not be started: python "python9.99" (--python) is not on the PATH');
    const page = await get(`${running.origin}/own/`);
    assert.equal(page.status, 503);
    assert.ok(page.body.includes('does not exist'), page.body);
  });

  it('refuses Python older than 3.8, naming it and where it came from', async () => {
    assert.ok(fs.existsSync(PYTHON_37), `this test needs a real Python 3.7 at ${PYTHON_37}`);
    running = await startEngine({ mounts: [{ prefix: '/app', wsgi: 'which:app', python: PYTHON_37 }] }, { 'which.py': WHICH });
    const status = await errorOf('/app');
    assert.ok(
      status.detail?.includes(`mounts: ${PYTHON_37} is Python 3.7 (the mount's "python" in mounts.json); wsgi and asgi mounts need Python 3.8 or newer`),
      status.detail,
    );
  });

  it('takes --python on the command line', async () => {
    const dir = makeWorkspace({ 'which.py': WHICH, 'mounts.json': JSON.stringify({ port: 0, mounts: [{ prefix: '/app', wsgi: 'which:app' }] }) });
    const cli = spawn(process.execPath, [path.join(REPO, 'dist/cli.js'), 'serve', dir, '--python', venvPython], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    cli.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    cli.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => cli.once('exit', resolve));
    try {
      const origin = await waitFor('the CLI to listen', () => /Mounts serving (http:\/\/localhost:\d+)\//.exec(output)?.[1], 15_000);
      assert.equal((await get(`${origin}/app/`)).body, venvPython);
      assert.match(output, new RegExp(`runs on ${venvPython.replaceAll('/', '\\/')} \\(--python\\)`));
    } finally {
      cli.kill('SIGTERM');
      assert.equal(await exited, 0, output);
    }
  });
});
