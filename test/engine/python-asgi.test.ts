/**
 * asgi mounts with Debian's Python, FastAPI 0.92 and uvicorn 0.17.6: FastAPI's own docs page in
 * Chromium fetches /api/openapi.json through the prefix, routes with path parameters answer, the
 * startup event ran; an interpreter with no ASGI server gets an error naming it and the fix.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { launchChromium } from './fixtures/chromium';
import { get, makeWorkspace, startEngine, type RunningEngine } from './helpers';
import { REPO, statusOf, waitFor } from './fixtures/command/helpers';
import { PYTHON, pythonFiles } from './fixtures/python/helpers';

/**
 * FastAPI's docs page loads Swagger UI from cdn.jsdelivr.net; the test machine is offline, so the
 * browser gets the same files from the swagger-ui-dist package instead (the page itself is FastAPI's).
 */
const SWAGGER_UI = path.join(REPO, 'node_modules/swagger-ui-dist');

describe('asgi mounts', function () {
  this.timeout(60_000);
  let running: RunningEngine | undefined;

  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it('serves FastAPI under /api: the docs page fetches /api/openapi.json in Chromium, path parameters route, startup ran', async () => {
    running = await startEngine({ mounts: [{ prefix: '/api', asgi: 'fastapi_app:app', python: PYTHON }] }, pythonFiles('fastapi_app.py'));
    const index = JSON.parse((await get(`${running.origin}/api/`)).body);
    assert.deepEqual(index, { app: 'fastapi', root_path: '/api', started: true, docs: `${running.origin}/api/docs` });
    const item = await get(`${running.origin}/api/items/42?q=mounts`);
    assert.equal(item.status, 200);
    assert.deepEqual(JSON.parse(item.body), { item_id: 42, q: 'mounts' });
    assert.equal((await get(`${running.origin}/api/items/not-a-number`)).status, 422);
    const spec = JSON.parse((await get(`${running.origin}/api/openapi.json`)).body);
    assert.deepEqual(spec.servers, [{ url: '/api' }]);
    assert.ok(running.logs.some((line) => line.includes('serves asgi fastapi_app:app with uvicorn')), running.logs.join('\n'));

    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.route('https://cdn.jsdelivr.net/**', (route) => {
        const file = path.join(SWAGGER_UI, path.basename(new URL(route.request().url()).pathname));
        if (!fs.existsSync(file)) return route.fulfill({ status: 404, body: '' });
        return route.fulfill({ status: 200, contentType: file.endsWith('.css') ? 'text/css' : 'application/javascript', body: fs.readFileSync(file) });
      });
      const fetched: string[] = [];
      page.on('request', (request) => fetched.push(request.url()));
      const openapi = page.waitForResponse((response) => response.url().endsWith('/openapi.json'));
      await page.goto(`${running.origin}/api/docs`);
      const response = await openapi;
      assert.equal(response.url(), `${running.origin}/api/openapi.json`);
      assert.equal(response.status(), 200);
      // Swagger UI rendered the spec it fetched: the title and the path-parameter route.
      await page.waitForFunction(`document.querySelector('.info .title')?.textContent.startsWith('Items')`);
      await page.waitForFunction(`[...document.querySelectorAll('.opblock-summary-path')].some((node) => node.textContent.includes('/items/{item_id}'))`);
      assert.deepEqual(fetched.filter((url) => url.startsWith(running!.origin) && !url.startsWith(`${running!.origin}/api/`)), []);
    } finally {
      await browser.close();
    }
  });

  it('says which interpreter lacks an ASGI server and how to install one', async () => {
    // A virtual environment without the system's packages: a real interpreter with no uvicorn or hypercorn.
    const venv = path.join(makeWorkspace(), 'venv');
    execFileSync(PYTHON, ['-m', 'venv', '--without-pip', venv]);
    const python = path.join(venv, 'bin', 'python');
    running = await startEngine({ mounts: [{ prefix: '/api', asgi: 'fastapi_app:app', python }] }, pythonFiles('fastapi_app.py'));
    const status = await waitFor('the mount in error', () => {
      const current = statusOf(running!, '/api');
      return current.state === 'error' && current;
    }, 15_000);
    const fix = `${python} -m pip install uvicorn`;
    assert.ok(status.detail?.includes(`asgi mounts need uvicorn or hypercorn, and ${python} cannot import it; install it into that interpreter: ${fix}`), status.detail);
    const page = await get(`${running.origin}/api/`);
    assert.equal(page.status, 503);
    assert.ok(page.body.includes(fix), page.body);
  });
});
