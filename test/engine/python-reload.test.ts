/**
 * Reload of wsgi mounts on .py changes, with Debian's Python and cheroot: under load no request
 * fails and the new code answers; a syntax error puts the traceback on the 503 and in the log, and
 * the next good save recovers; changes in virtual environments, __pycache__ and dot folders do not
 * restart the app.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { get, startEngine, type RunningEngine } from './helpers';
import { statusOf, waitFor } from './fixtures/command/helpers';
import { PYTHON } from './fixtures/python/helpers';

const versioned = (version: string) => `VERSION = '${version}'


def app(environ, start_response):
    body = VERSION.encode()
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])
    return [body]
`;

describe('wsgi mounts reload', function () {
  this.timeout(60_000);
  let running: RunningEngine | undefined;

  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  const start = async (files: Record<string, string> = {}) => {
    running = await startEngine({ mounts: [{ prefix: '/app', wsgi: 'app:app', python: PYTHON }] }, { 'app.py': versioned('v1'), ...files });
    assert.equal((await get(`${running.origin}/app/`)).body, 'v1');
    // No bytecode of the app is written, so none can be taken for a later save of the same size.
    const cache = path.join(running.dir, '__pycache__');
    assert.deepEqual(fs.existsSync(cache) ? fs.readdirSync(cache).filter((name) => name.startsWith('app.')) : [], []);
    return running;
  };

  it('restarts on a save under load: no request fails, and the new code answers', async () => {
    const { origin } = await start();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const results: string[] = [];
    let stop = false;
    const one = () =>
      new Promise<string>((resolve) => {
        http
          .get(`${origin}/app/`, { agent }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (body += chunk));
            res.on('end', () => resolve(`${res.statusCode} ${body}`));
          })
          .on('error', (error) => resolve(`error ${error.message}`));
      });
    const worker = async () => {
      while (!stop) {
        const result = await one();
        results.push(result);
      }
    };
    const workers = Array.from({ length: 6 }, () => worker());
    await waitFor('load before the edit', () => results.length >= 30, 10_000);
    // The same size, within the same second as the start: Python's bytecode cache would take a
    // .pyc of v1 for v2 (it compares the source's size and mtime in whole seconds).
    fs.writeFileSync(path.join(running!.dir, 'app.py'), versioned('v2'));
    await waitFor('the new code to answer', () => results.includes('200 v2'), 40_000).catch((error: Error) => {
      const log = running!.logs.filter((line) => !line.startsWith('access')).slice(-12);
      throw new Error(`${error.message}; last answers: ${results.slice(-5).join(' | ')}; log: ${log.join(' | ')}`);
    });
    const atNew = results.length;
    await waitFor('load after the new code answered', () => results.length >= atNew + 30, 10_000);
    stop = true;
    await Promise.all(workers);
    agent.destroy();
    assert.deepEqual(results.filter((result) => result !== '200 v1' && result !== '200 v2'), []);
    const firstNew = results.indexOf('200 v2');
    assert.ok(firstNew > 0);
    assert.equal(results.lastIndexOf('200 v1') < firstNew, true, 'no answer from the old code after the new code answered');
    assert.ok(running!.logs.some((line) => line.includes(`${path.join(running!.dir, 'app.py')} changed; restarting`)), running!.logs.join('\n'));
  });

  it('shows the traceback of a syntax error on the 503 and in the log, and recovers on the next good save', async () => {
    const { origin, dir } = await start();
    fs.writeFileSync(path.join(dir, 'app.py'), "VERSION = 'v3'\n\ndef app(:\n    pass\n");
    const status = await waitFor('the mount in error', () => {
      const current = statusOf(running!, '/app');
      return current.state === 'error' && current;
    }, 15_000);
    assert.match(status.detail ?? '', /File ".*app\.py", line 3/);
    const page = await get(`${origin}/app/`);
    assert.equal(page.status, 503);
    assert.match(page.body, /app\.py&quot;, line 3|app\.py", line 3/);
    assert.match(page.body, /SyntaxError/);
    assert.ok(running!.logs.some((line) => line.includes('SyntaxError')), running!.logs.join('\n'));

    fs.writeFileSync(path.join(dir, 'app.py'), versioned('v4'));
    await waitFor('the fixed code to answer', async () => (await get(`${origin}/app/`)).body === 'v4', 15_000);
    assert.equal(statusOf(running!, '/app').state, 'ready');
  });

  it('ignores .py changes in virtual environments, __pycache__ and dot folders, and watches new folders', async () => {
    const { origin, dir } = await start({
      'venv/pyvenv.cfg': 'home = /usr/bin\n',
      'venv/lib/site.py': '',
      '__pycache__/cached.py': '',
      '.hidden/secret.py': '',
      'node_modules/pkg/tool.py': '',
    });
    for (const file of ['venv/lib/site.py', '__pycache__/cached.py', '.hidden/secret.py', 'node_modules/pkg/tool.py']) {
      fs.writeFileSync(path.join(dir, file), '# changed\n');
    }
    // The sentinel: a package created after the start, which must restart the app.
    fs.mkdirSync(path.join(dir, 'pkg'));
    fs.writeFileSync(path.join(dir, 'pkg', 'mod.py'), 'X = 1\n');
    await waitFor('the new package seen', () => running!.logs.some((line) => line.includes(`${path.join(dir, 'pkg')}`) && line.includes('changed; restarting')), 10_000);
    fs.writeFileSync(path.join(dir, 'app.py'), versioned('v5'));
    await waitFor('the sentinel edit to answer', async () => (await get(`${origin}/app/`)).body === 'v5', 15_000);
    const restarts = running!.logs.filter((line) => line.includes('changed; restarting'));
    assert.deepEqual(restarts.filter((line) => /venv|__pycache__|\.hidden|node_modules/.test(line)), []);
  });
});
