/**
 * A Django project as `django-admin startproject` writes it, made at test time with Debian's Django,
 * as a wsgi (and asgi) mount at a prefix: its admin's static files are served under the prefix as
 * `manage.py runserver` serves them, while DEBUG is on; with DEBUG off they are not (as in production).
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { get, startEngine, type RunningEngine } from './helpers';
import { PYTHON } from './fixtures/python/helpers';

/** The files of a new project named `mysite` (settings, urls, wsgi, asgi, manage.py). */
function startproject(): Record<string, string> {
  const dir = fs.mkdtempSync(path.join(fs.realpathSync(require('node:os').tmpdir()), 'mounts-django-'));
  try {
    execFileSync(PYTHON, ['-m', 'django', 'startproject', 'mysite', dir]);
    const files: Record<string, string> = {};
    for (const name of ['manage.py', ...fs.readdirSync(path.join(dir, 'mysite')).filter((file) => file.endsWith('.py')).map((file) => `mysite/${file}`)]) {
      files[name] = fs.readFileSync(path.join(dir, name), 'utf8');
    }
    return files;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('Django in development through a wsgi or asgi mount', function () {
  this.timeout(30_000);
  let running: RunningEngine | undefined;
  let project: Record<string, string>;

  before(() => {
    project = startproject();
    assert.match(project['mysite/settings.py'], /^DEBUG = True$/m);
    assert.match(project['mysite/settings.py'], /^STATIC_URL = '\/?static\/'$/m);
  });

  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  for (const kind of ['wsgi', 'asgi'] as const) {
    it(`serves the admin's CSS under the prefix, as runserver does (${kind})`, async () => {
      running = await startEngine({ mounts: [{ prefix: '/django', [kind]: `mysite.${kind}:application`, python: PYTHON }] }, project);
      const login = await get(`${running.origin}/django/admin/login/`);
      assert.equal(login.status, 200, running.logs.join('\n'));
      const stylesheets = [...login.body.matchAll(/<link rel="stylesheet" type="text\/css" href="([^"]+)"/g)].map((match) => match[1]);
      assert.ok(stylesheets.includes('/django/static/admin/css/base.css'), stylesheets.join(' '));
      for (const href of stylesheets) {
        const css = await get(`${running.origin}${href}`);
        assert.equal(css.status, 200, href);
        assert.match(css.headers['content-type'] ?? '', /^text\/css/, href);
      }
    });
  }

  it('serves no static files with DEBUG off, as Django itself does not', async () => {
    const settings = `${project['mysite/settings.py']}\nDEBUG = False\nALLOWED_HOSTS = ['127.0.0.1']\n`;
    running = await startEngine({ mounts: [{ prefix: '/django', wsgi: 'mysite.wsgi:application', python: PYTHON }] }, { ...project, 'mysite/settings.py': settings });
    const login = await get(`${running.origin}/django/admin/login/`);
    assert.equal(login.status, 200, running.logs.join('\n'));
    assert.equal((await get(`${running.origin}/django/static/admin/css/base.css`)).status, 404);
  });
});
