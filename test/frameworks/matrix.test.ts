/**
 * The framework matrix: real dev servers (Next.js, Vite + React, SvelteKit, Astro, Nuxt) and
 * Python apps (Django's startproject admin, Flask, FastAPI), each set up as the README's "Real
 * frameworks" section says, loaded in Chromium through Mounts at a prefix and at a `*.localhost`
 * host. Every page load reaches `load` with no failed request, the framework's HMR updates the page
 * in place (its state kept, no reload, Mounts' live reload adding none), and a crash of the app
 * reloads the page once, when it is back.
 *
 * Each dev server starts once: the host mount is a proxy to the same server, at the same base path.
 * The packages come from the cache `npm run test:setup` fills (test/host/frameworks.ts).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { Engine } from '../../src/engine/index';
import { freePort } from '../../src/engine/ports';
import { frameworksRoot, FRAMEWORK_PACKAGES } from '../host/frameworks';
import { launchChromium } from '../engine/fixtures/chromium';
import { recordingLogger } from '../engine/helpers';
import { waitFor } from '../waitFor';
import { MATRIX, type MatrixApp } from './apps';

const REPO = path.resolve(__dirname, '../../..');
const CACHE = frameworksRoot(REPO);
/** A first page load compiles the app's module graph: on a busy 2-core machine that takes a while. */
const FIRST_LOAD_MS = 90_000;
const UPDATE_MS = 30_000;

/** A page with the requests Mounts answered with an error or not at all, and its navigations. */
interface Watched {
  readonly page: Page;
  readonly failures: string[];
  /** Documents loaded after the first. */
  navigations: number;
  /** Requests for the page's document: a reload cut short by another shows here, not in `navigations`. */
  documentRequests: number;
}

describe('framework matrix: real dev servers through Mounts in Chromium', function () {
  this.timeout(FIRST_LOAD_MS * 2);
  let browser: Browser;
  let apps: string;

  before(async function () {
    const marker = path.join(CACHE, '.mounts-frameworks-installed.json');
    if (!fs.existsSync(marker) || JSON.stringify(JSON.parse(fs.readFileSync(marker, 'utf8')).packages) !== JSON.stringify(FRAMEWORK_PACKAGES)) {
      throw new Error(`the framework packages are not installed in ${CACHE}: run npm run test:setup`);
    }
    apps = fs.mkdtempSync(path.join(CACHE, 'apps-'));
    // The apps share the cache's node_modules, as a monorepo's apps share its root's; Vite serves
    // files (Astro's dev toolbar, by /@fs/) from the workspace root it finds by this file, else only
    // from below each app.
    fs.writeFileSync(path.join(CACHE, 'pnpm-workspace.yaml'), "packages:\n  - 'apps-*/*/*'\n");
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    if (apps) fs.rmSync(apps, { recursive: true, force: true });
  });

  for (const app of MATRIX) describeApp(app);

  function describeApp(app: MatrixApp): void {
    describe(app.name, () => {
      let engine: Engine;
      let dir: string;
      const logs: string[] = [];
      let urls: Partial<Record<'prefix' | 'host', string>>;
      /** The path the app is mounted at: below it Mounts forwards to the app. */
      const mountedAt = app.modes.includes('prefix') ? `/${app.name}` : '';

      before(async () => {
        dir = path.join(apps, app.name);
        fs.mkdirSync(dir);
        app.write(path.join(dir, app.name), CACHE);
        const prefix = mountedAt || '/';
        const host = `${app.name}.localhost`;
        let hostMount: Record<string, unknown> | undefined;
        let mount: Record<string, unknown> = { prefix, name: app.name, ...app.mount };
        if (!app.modes.includes('prefix')) {
          mount = { ...mount, host };
        } else if ('command' in app.mount) {
          // The host mount reaches the same dev server: a fixed port both mounts know.
          const port = await freePort();
          mount = { ...mount, port };
          hostMount = { prefix, host, name: `${app.name} by host`, proxy: `http://127.0.0.1:${port}`, stripPrefix: false };
        } else {
          hostMount = { ...app.mount, prefix, host, name: `${app.name} by host` };
        }
        fs.writeFileSync(path.join(dir, 'mounts.json'), JSON.stringify({ port: 0, mounts: hostMount ? [mount, hostMount] : [mount] }, null, 2));
        engine = new Engine({ configFile: path.join(dir, 'mounts.json'), logger: recordingLogger(logs), stopGracePeriod: 2000 });
        await engine.start();
        urls = {
          ...(app.modes.includes('prefix') ? { prefix: `http://localhost:${engine.port}${mountedAt}/${app.page}` } : {}),
          host: `http://${host}:${engine.port}${mountedAt}/${app.page}`,
        };
      });

      after(async () => {
        await engine?.stop();
      });

      /** Opens `url` in a fresh context and waits for `load` and the app's own scripts. */
      async function open(url: string): Promise<Watched> {
        const context = await browser.newContext();
        // Every wait has a bound below the test's own, so that a failure says what it waited for.
        context.setDefaultTimeout(UPDATE_MS);
        const page = await context.newPage();
        const origin = new URL(url).origin;
        const watched: Watched = { page, failures: [], navigations: 0, documentRequests: 0 };
        // Every request to Mounts counts: below the prefix and the root paths it routes to the app alike.
        const failed = (where: string, why: string) => {
          if (where.startsWith(origin)) watched.failures.push(`${where}: ${why}`);
        };
        page.on('request', (request) => {
          if (request.isNavigationRequest() && request.frame() === page.mainFrame()) watched.documentRequests++;
        });
        page.on('requestfailed', (request) => failed(request.url(), request.failure()?.errorText ?? 'failed'));
        page.on('response', (response) => {
          if (response.status() >= 400) failed(response.url(), String(response.status()));
        });
        // 'load' fires once per document; 'framenavigated' would also count the history entries routers replace.
        let loaded = false;
        page.on('load', () => {
          if (loaded) watched.navigations++;
        });
        const response = await page.goto(url, { waitUntil: 'load', timeout: FIRST_LOAD_MS });
        loaded = true;
        assert.equal(response?.status(), 200, `${url}: ${logs.slice(-40).join("\n")}`);
        await page.waitForFunction(`document.body.innerText.includes(${JSON.stringify(app.ready)})`, undefined, { timeout: UPDATE_MS });
        return watched;
      }

      /**
       * Runs `steps` once the page has stopped reloading by itself (Vite reloads a page once more
       * after it optimized dependencies that page found), again after such a reload. Resolves the
       * number of reloads the steps ended at: the checks after count from there.
       */
      async function settled(watched: Watched, steps: () => Promise<void>): Promise<number> {
        const { page } = watched;
        for (let attempt = 1; ; attempt++) {
          const before = watched.navigations;
          try {
            await page.waitForLoadState('networkidle');
            await page.waitForFunction(`document.body.innerText.includes(${JSON.stringify(app.ready)})`);
            await steps();
            if (watched.navigations === before) return before;
          } catch (error) {
            if (watched.navigations === before) throw error;
          }
          if (attempt === 3) throw new Error(`the page reloaded by itself ${watched.navigations} times`);
        }
      }

      async function close(watched: Watched): Promise<void> {
        await watched.page.context().close();
      }

      for (const mode of app.modes) {
        it(`loads at its ${mode === 'prefix' ? 'prefix' : '*.localhost host'}, every request answered`, async () => {
          const watched = await open(urls[mode]!);
          try {
            await app.exercise?.(watched.page);
            if (app.extraPath) {
              const extra = await watched.page.goto(new URL(app.extraPath, urls[mode]!).href, { waitUntil: 'load', timeout: FIRST_LOAD_MS });
              assert.equal(extra?.status(), 200);
            }
            assert.deepEqual(watched.failures, []);
          } finally {
            await close(watched);
          }
        });

        if (app.hmr) {
          const hmr = app.hmr;
          it(`updates in place over its own HMR through Mounts (${mode}): state kept, no reload`, async () => {
            const watched = await open(urls[mode]!);
            const { page } = watched;
            try {
              const reloads = await settled(watched, async () => {
                await page.evaluate('window.mountsMarker = 1');
                await page.getByRole('button', { name: /Count is 0/ }).click();
                await page.waitForFunction(`document.body.innerText.includes('Count is 1')`);
              });
              // The prefix run edits forth, the host run back: each starts from what the last left.
              const [from, to] = mode === app.modes[0] ? [hmr.from, hmr.to] : [hmr.to, hmr.from];
              const file = path.join(dir, app.name, hmr.file);
              const before = fs.readFileSync(file, 'utf8');
              assert.ok(before.includes(from), `${hmr.file} has ${from}`);
              fs.writeFileSync(file, before.replace(from, to));
              await page.waitForFunction(
                `document.body.innerText.includes(${JSON.stringify(to)}) || getComputedStyle(document.querySelector('h1')).color === ${JSON.stringify(to)}`,
                undefined,
                { timeout: UPDATE_MS },
              );
              assert.ok(await page.evaluate(`document.body.innerText.includes('Count is 1')`), 'the state is kept');
              assert.equal(await page.evaluate('window.mountsMarker'), 1, 'the page was not reloaded');
              assert.equal(watched.navigations, reloads);
              assert.deepEqual(watched.failures, []);
            } finally {
              await close(watched);
            }
          });
        }
      }

      if (app.crash) it('reloads the page once when the app crashed and is back', async () => {
        const watched = await open(urls[app.modes[0]]!);
        const { page } = watched;
        try {
          // The live reload socket of the new page is the sentinel: a second reload would come before it.
          let liveSockets = 0;
          page.on('websocket', (socket) => {
            if (socket.url().includes('/__mounts/live')) liveSockets++;
          });
          const reloads = await settled(watched, async () => {
            await page.evaluate('window.mountsMarker = 1');
          });
          const status = engine.mounts().find((mount) => mount.spec.name === app.name)!.status;
          assert.ok(status.pid, 'the app runs');
          const socketsBefore = liveSockets;
          const documentsBefore = watched.documentRequests;
          process.kill(-status.pid, 'SIGKILL');
          await waitFor(() => `the reload after the crash; log:\n${logs.slice(-20).join('\n')}`, () => watched.navigations > reloads, UPDATE_MS * 2);
          await page.waitForLoadState('load');
          await page.waitForFunction(`document.body.innerText.includes(${JSON.stringify(app.ready)})`, undefined, { timeout: UPDATE_MS });
          assert.equal(await page.evaluate('window.mountsMarker'), undefined, 'a new page');
          await waitFor('the new page to connect to live reload', () => liveSockets > socketsBefore, UPDATE_MS);
          assert.equal(watched.navigations, reloads + 1, 'one reload');
          assert.equal(watched.documentRequests, documentsBefore + 1, 'one request for the page: no second reload cut the first short');
          // While it was down the app's requests may be answered 502-504; those the reload cut are aborted.
          assert.deepEqual(watched.failures.filter((failure) => !/: (50[234]|net::ERR_ABORTED)$/.test(failure)), [], 'no request failed otherwise');
        } finally {
          await close(watched);
        }
      });
    });
  }
});
