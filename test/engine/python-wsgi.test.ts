/**
 * wsgi mounts with Debian's Python and real frameworks: the seed's blog and forum compared request by
 * request with cheroot's own WSGIPathInfoDispatcher, Flask, Django and CherryPy under their prefixes.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { get, startEngine, type RunningEngine } from './helpers';
import { PYTHON, pythonFiles, startReference, type Reference } from './fixtures/python/helpers';

/** The requests of the comparison: exact prefix, slash, deeper, query, a lookalike, two levels, encoded. */
const PATHS = ['/blog', '/blog/', '/blog/x', '/blog?q=1', '/blogger', '/forum/a/b', '/forum/api', '/blog/latest', '/blog/caf%C3%A9', '/forum/'];

describe('wsgi mounts', function () {
  this.timeout(30_000);
  let running: RunningEngine | undefined;
  let reference: Reference | undefined;

  afterEach(async () => {
    await Promise.all([running?.stop(), reference?.stop()]);
    running = undefined;
    reference = undefined;
  });

  for (const server of ['cheroot', 'stdlib']) {
    it(`gives the seed's blog and forum SCRIPT_NAME and PATH_INFO as cheroot's WSGIPathInfoDispatcher does (${server} server)`, async () => {
      const env = { RECORD_FILE: 'through-mounts.jsonl', MOUNTS_WSGI_SERVER: server };
      running = await startEngine(
        { mounts: [{ prefix: '/blog', wsgi: 'recorded:blog', python: PYTHON, env }, { prefix: '/forum', wsgi: 'recorded:forum', python: PYTHON, env }] },
        pythonFiles('blog.py', 'forum.py', 'recorded.py', 'cheroot_reference.py'),
      );
      reference = await startReference('cheroot_reference.py', running.dir, { RECORD_FILE: 'reference.jsonl' });
      const records = (file: string) => {
        const full = path.join(running!.dir, file);
        return fs.existsSync(full) ? fs.readFileSync(full, 'utf8').split('\n').filter(Boolean) : [];
      };
      let routed = 0;
      for (const requestPath of PATHS) {
        const before = [records('through-mounts.jsonl').length, records('reference.jsonl').length];
        const ours = await get(`${running.origin}${requestPath}`);
        const theirs = await get(`http://127.0.0.1:${reference.port}${requestPath}`);
        const seenByApp = records('through-mounts.jsonl').slice(before[0]);
        const seenByReference = records('reference.jsonl').slice(before[1]);
        assert.deepEqual(seenByApp, seenByReference, `${requestPath}: what the app saw`);
        assert.equal(ours.status, theirs.status, `${requestPath}: status`);
        if (seenByReference.length > 0) {
          routed++;
          assert.equal(ours.body, theirs.body, `${requestPath}: body`);
          assert.equal(ours.headers.location, theirs.headers.location, `${requestPath}: Location`);
        }
      }
      // Everything but /blogger reached an app; /blogger reached neither.
      assert.equal(routed, PATHS.length - 1);
      assert.ok(running.logs.some((line) => line.includes(`with ${server === 'stdlib' ? "the standard library's server" : 'cheroot'}`)), running.logs.join('\n'));
    });
  }

  it('keeps a connection alive between requests on the standard library server', async () => {
    running = await startEngine(
      { mounts: [{ prefix: '/blog', wsgi: 'blog:blog', python: PYTHON, env: { MOUNTS_WSGI_SERVER: 'stdlib' } }] },
      pythonFiles('blog.py'),
    );
    // Many requests one after the other travel on one upstream connection: after each answer, the
    // engine's end of every established connection to the runner is read from /proc/net/tcp, and
    // across the 20 requests there must be exactly one such connection.
    const enginePorts = new Set<string>();
    for (let i = 0; i < 20; i++) {
      assert.equal((await get(`${running.origin}/blog/hello`)).status, 200);
      const port = running.engine.mounts()[0].status.port!.toString(16).toUpperCase().padStart(4, '0');
      for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\n')) {
        const [, local, remote, state] = line.trim().split(/\s+/);
        if (remote?.endsWith(`:${port}`) && state === '01') enginePorts.add(local);
      }
    }
    assert.equal(enginePorts.size, 1, `connections to the runner seen across 20 requests: ${[...enginePorts].join(', ')}`);
  });

  it('builds Flask url_for links, redirects and _external URLs with the prefix and the public origin', async () => {
    running = await startEngine({ mounts: [{ prefix: '/flask', wsgi: 'flask_app:app', python: PYTHON }] }, pythonFiles('flask_app.py'));
    const page = await get(`${running.origin}/flask/`);
    assert.equal(page.status, 200);
    assert.match(page.body, /href="\/flask\/hello\/mounts"/);
    assert.match(page.body, new RegExp(`This page: ${running.origin}/flask/<`));
    const redirect = await get(`${running.origin}/flask/go`);
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.location, '/flask/hello/redirected');
    const viaLocalhost = JSON.parse((await get(`${running.origin}/flask/hello/x`, { headers: { Host: `localhost:${running.port}` } })).body);
    assert.deepEqual(viaLocalhost, { hello: 'x', self: '/flask/hello/x', external: `http://localhost:${running.port}/flask/hello/x` });
    // A client's own X-Forwarded-Host is dropped by Mounts: the app never builds URLs to it.
    const spoofed = JSON.parse((await get(`${running.origin}/flask/hello/y`, { headers: { 'X-Forwarded-Host': 'evil.test', 'X-Forwarded-Proto': 'https' } })).body);
    assert.equal(spoofed.external, `${running.origin}/flask/hello/y`);
  });

  it("builds Django reverse() URLs and redirects to named URLs with the prefix", async () => {
    running = await startEngine({ mounts: [{ prefix: '/dj', wsgi: 'django_app:application', python: PYTHON }] }, pythonFiles('django_app.py'));
    const index = JSON.parse((await get(`${running.origin}/dj/`)).body);
    assert.deepEqual(index, {
      item: '/dj/items/3/',
      absolute: `${running.origin}/dj/items/3/`,
      script_name: '/dj',
      path_info: '/',
      path: '/dj/',
    });
    const latest = await get(`${running.origin}/dj/latest/`);
    assert.equal(latest.status, 302);
    assert.equal(latest.headers.location, '/dj/items/7/');
    const item = JSON.parse((await get(`${running.origin}/dj/items/7/`)).body);
    assert.deepEqual(item, { number: 7, path: '/dj/items/7/' });
  });

  it("serves a cherrypy.Application as CherryPy's own tree and server do", async () => {
    running = await startEngine({ mounts: [{ prefix: '/cherry', wsgi: 'cherrypy_app:app', python: PYTHON }] }, pythonFiles('cherrypy_app.py', 'cherrypy_reference.py'));
    reference = await startReference('cherrypy_reference.py', running.dir);
    const theirOrigin = `http://127.0.0.1:${reference.port}`;
    for (const requestPath of ['/cherry/', '/cherry', '/cherry/greet?name=ada', '/cherry/greet', '/cherry/later', '/cherry/nothing']) {
      const ours = await get(`${running.origin}${requestPath}`);
      const theirs = await get(`${theirOrigin}${requestPath}`);
      const normalize = (text: string | undefined) => text?.replaceAll(theirOrigin, running!.origin);
      assert.equal(ours.status, theirs.status, requestPath);
      assert.equal(ours.headers.location, normalize(theirs.headers.location), requestPath);
      if (ours.status === 200) assert.equal(ours.body, normalize(theirs.body), requestPath);
    }
    assert.match((await get(`${running.origin}/cherry/greet`)).body, /script_name '\/cherry'/);
  });
});

describe('wsgi and asgi mounts in Restricted Mode', () => {
  it('are refused like command mounts: no interpreter runs, and they start once trusted', async () => {
    const running = await startEngine(
      { mounts: [{ prefix: '/blog', wsgi: 'blog:blog', python: PYTHON }, { prefix: '/api', asgi: 'fastapi_app:app', python: PYTHON }] },
      pythonFiles('blog.py', 'fastapi_app.py'),
      { restricted: true },
    );
    try {
      for (const mount of running.engine.mounts()) {
        assert.equal(mount.status.state, 'refused');
        assert.equal(mount.status.reason, `${mount.spec.kind} mounts run code from the workspace; trust the workspace to start them`);
      }
      const page = await get(`${running.origin}/blog/`);
      assert.equal(page.status, 503);
      assert.ok(!running.logs.some((line) => line.includes('runs on')), 'no interpreter was started');
      await running.engine.setRestricted(false);
      assert.equal((await get(`${running.origin}/blog/`)).status, 200);
    } finally {
      await running.stop();
    }
  });
});
