/**
 * Page loads of real dev servers (the framework matrix's Vite + React and Next.js apps) through
 * Mounts against straight to the dev server: each load in a fresh Chromium context (no cache, so the
 * browser fetches the whole module graph), through and direct interleaved, in alternating order, the
 * first pair discarded (it compiles the app). The time is navigation start to `load`, and the
 * requests the page made are counted beside it.
 *
 * It needs the framework packages (`npm run test:setup`) and Debian's Chromium; a smoke run leaves it
 * out, since starting the dev servers takes longer than the smoke itself.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../test/engine/fixtures/chromium';
import { MATRIX } from '../test/frameworks/apps';
import { frameworksRoot } from '../test/host/frameworks';
import { freePort, startServer, type Started } from './processes';

const REPO = path.resolve(__dirname, '..', '..');
const CLI = path.join(REPO, 'dist', 'cli.js');
export const PAGE_LOAD_APPS = ['vite', 'next'] as const;

export interface PageLoadResult {
  /** Milliseconds per load, through Mounts and direct, in the order measured. */
  readonly mounts: number[];
  readonly direct: number[];
  /** Requests per load (the median of each way). */
  readonly requests: { readonly mounts: number; readonly direct: number };
}

/** `rounds` interleaved pairs of loads of each app; undefined where the framework cache is missing. */
export async function measurePageLoads(rounds: number, log: (line: string) => void): Promise<Map<string, PageLoadResult> | string> {
  const cache = frameworksRoot(REPO);
  if (!fs.existsSync(path.join(cache, 'node_modules', 'next'))) return `the framework packages are not installed in ${cache} (npm run test:setup)`;
  const apps = fs.mkdtempSync(path.join(cache, 'bench-'));
  fs.writeFileSync(path.join(cache, 'pnpm-workspace.yaml'), "packages:\n  - 'apps-*/*/*'\n");
  const browser = await launchChromium();
  const results = new Map<string, PageLoadResult>();
  try {
    for (const name of PAGE_LOAD_APPS) results.set(name, await measureApp(name, apps, cache, browser, rounds, log));
  } finally {
    await browser.close();
    fs.rmSync(apps, { recursive: true, force: true });
  }
  return results;
}

async function measureApp(name: string, apps: string, cache: string, browser: Browser, rounds: number, log: (line: string) => void): Promise<PageLoadResult> {
  const app = MATRIX.find((candidate) => candidate.name === name)!;
  const dir = path.join(apps, name);
  app.write(path.join(dir, name), cache);
  const devPort = await freePort();
  fs.writeFileSync(path.join(dir, 'mounts.json'), JSON.stringify({ port: 0, mounts: [{ prefix: `/${name}`, ...app.mount, port: devPort }] }));
  let server: Started | undefined;
  try {
    // As a user runs it: live reload on (its script is one more request per load through Mounts),
    // and not pinned. Pinned to core 0, the dev server (its child) would share that core with Mounts,
    // so every millisecond Mounts works would be taken from the dev server, while Chromium has both.
    server = await startServer(process.execPath, [CLI, 'serve', dir], { readyPattern: /Mounts serving http:\/\/localhost:(\d+)\// }, 'SIGTERM', undefined, 'anywhere');
    const urls = { mounts: `http://localhost:${server.port}/${name}/`, direct: `http://127.0.0.1:${devPort}/${name}/` };
    const times = { mounts: [] as number[], direct: [] as number[] };
    const requests = { mounts: [] as number[], direct: [] as number[] };
    for (let round = 0; round <= rounds; round++) {
      const order = round % 2 === 0 ? (['mounts', 'direct'] as const) : (['direct', 'mounts'] as const);
      for (const way of order) {
        const load = await loadOnce(browser, urls[way], app.ready);
        if (round === 0) continue; // The first pair compiles the app and fills the dev server's caches.
        times[way].push(load.ms);
        requests[way].push(load.requests);
      }
      if (round > 0) log(`page load ${name} round ${round}: through Mounts ${times.mounts.at(-1)!.toFixed(0)} ms, direct ${times.direct.at(-1)!.toFixed(0)} ms`);
    }
    return { ...times, requests: { mounts: middle(requests.mounts), direct: middle(requests.direct) } };
  } finally {
    await server?.stop();
  }
}

async function loadOnce(browser: Browser, url: string, ready: string): Promise<{ ms: number; requests: number }> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    let requests = 0;
    page.on('request', () => requests++);
    const started = performance.now();
    const response = await page.goto(url, { waitUntil: 'load', timeout: 120_000 });
    const ms = performance.now() - started;
    if (response?.status() !== 200) throw new Error(`${url} answered ${response?.status()}`);
    await page.waitForFunction(`document.body.innerText.includes(${JSON.stringify(ready)})`);
    return { ms, requests };
  } finally {
    await context.close();
  }
}

function middle(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** What the bench's table keeps per row (run.ts's Samples). */
interface RowSamples {
  readonly values: number[];
  error: string | undefined;
  missing: string | undefined;
  note: string | undefined;
}

/** The bench group: rows `page-load/<app>-mounts` and `page-load/<app>-direct`, milliseconds per load. */
export async function pageLoadGroup(rounds: number, smoke: boolean, of: (key: string) => RowSamples, log: (line: string) => void): Promise<void> {
  const keys = PAGE_LOAD_APPS.flatMap((name) => [`page-load/${name}-mounts`, `page-load/${name}-direct`]);
  if (smoke) {
    for (const key of keys) of(key).missing = 'not in the smoke: npm run bench -- --only page-load';
    return;
  }
  try {
    const results = await measurePageLoads(rounds, log);
    if (typeof results === 'string') {
      for (const key of keys) of(key).missing = results;
      return;
    }
    for (const [name, result] of results) {
      of(`page-load/${name}-mounts`).values.push(...result.mounts);
      of(`page-load/${name}-mounts`).note = `${result.requests.mounts} requests per load (the live reload script included)`;
      of(`page-load/${name}-direct`).values.push(...result.direct);
      of(`page-load/${name}-direct`).note = `${result.requests.direct} requests per load`;
    }
  } catch (error) {
    for (const key of keys) of(key).error = String((error as Error).message ?? error).split('\n')[0];
  }
}
