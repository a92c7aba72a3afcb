/**
 * Page loads of real dev servers (the framework matrix's Vite + React and Next.js apps) through
 * Mounts against straight to the dev server, and, as references for what any reverse proxy in front
 * of a dev server costs, through nginx and through Caddy to the same dev server: each load in a fresh
 * Chromium context (no cache, so the browser fetches the whole module graph), every way once per
 * round in a rotating order, the first round discarded (it compiles the app). The time is navigation
 * start to `load`, and the requests the page made are counted beside it.
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
import { caddyMissing, startCaddy } from './caddy';
import { nginxDevServer, nginxMissing, startNginx } from './nginx';
import { freePort, startServer, type Started } from './processes';
import { median, row, type Row, type RowSamples } from './report';

const REPO = path.resolve(__dirname, '..', '..');
const CLI = path.join(REPO, 'dist', 'cli.js');
const PAGE_LOAD_APPS = ['vite', 'next'] as const;
const TITLES: Record<(typeof PAGE_LOAD_APPS)[number], string> = { vite: 'Vite + React', next: 'Next.js' };

/** How a page is loaded: straight to the dev server, through Mounts, or through a reference proxy. */
const WAYS = ['direct', 'mounts', 'nginx', 'caddy'] as const;
type Way = (typeof WAYS)[number];
const REFERENCES = [
  { way: 'nginx', name: 'nginx', label: 'nginx proxy_pass, keepalive upstream', missing: nginxMissing },
  { way: 'caddy', name: 'Caddy', label: 'Caddy reverse_proxy', missing: caddyMissing },
] as const;

/** The loads of one app one way: milliseconds per load in the order measured, and requests per load (the median). */
export interface WayResult {
  readonly ms: number[];
  readonly requests: number;
}

/** `rounds` rounds of loads of each app, every way that can run here once per round; a string where the framework cache is missing. */
export async function measurePageLoads(rounds: number, log: (line: string) => void): Promise<Map<string, Map<Way, WayResult>> | string> {
  const cache = frameworksRoot(REPO);
  if (!fs.existsSync(path.join(cache, 'node_modules', 'next'))) return `the framework packages are not installed in ${cache} (npm run test:setup)`;
  const apps = fs.mkdtempSync(path.join(cache, 'bench-'));
  fs.writeFileSync(path.join(cache, 'pnpm-workspace.yaml'), "packages:\n  - 'apps-*/*/*'\n");
  const browser = await launchChromium();
  const results = new Map<string, Map<Way, WayResult>>();
  try {
    for (const name of PAGE_LOAD_APPS) results.set(name, await measureApp(name, apps, cache, browser, rounds, log));
  } finally {
    await browser.close();
    fs.rmSync(apps, { recursive: true, force: true });
  }
  return results;
}

async function measureApp(name: string, apps: string, cache: string, browser: Browser, rounds: number, log: (line: string) => void): Promise<Map<Way, WayResult>> {
  const app = MATRIX.find((candidate) => candidate.name === name)!;
  const dir = path.join(apps, name);
  app.write(path.join(dir, name), cache);
  const devPort = await freePort();
  fs.writeFileSync(path.join(dir, 'mounts.json'), JSON.stringify({ port: 0, mounts: [{ prefix: `/${name}`, ...app.mount, port: devPort }] }));
  const servers: Started[] = [];
  try {
    // As a user runs it: live reload on (its script is one more request per load through Mounts),
    // and not pinned. Pinned to core 0, the dev server (its child) would share that core with Mounts,
    // so every millisecond Mounts works would be taken from the dev server, while Chromium has both.
    const mounts = await startServer(process.execPath, [CLI, 'serve', dir], { readyPattern: /Mounts serving http:\/\/localhost:(\d+)\// }, 'SIGTERM', undefined, 'anywhere');
    servers.push(mounts);
    // Mounts first: the first round's first load waits for Mounts to start the dev server.
    const urls = new Map<Way, string>([
      ['mounts', `http://localhost:${mounts.port}/${name}/`],
      ['direct', `http://127.0.0.1:${devPort}/${name}/`],
    ]);
    // The reference proxies in front of the same dev server (which Mounts started), unpinned and
    // on 127.0.0.1 reached as localhost, as Mounts is.
    for (const { way, missing } of REFERENCES) {
      if (missing()) continue;
      const proxy = way === 'nginx' ? await startNginx(dir, name, nginxDevServer(devPort), undefined, 'anywhere') : await startCaddy(dir, name, `reverse_proxy 127.0.0.1:${devPort}`, 'anywhere');
      servers.push(proxy);
      urls.set(way, `http://localhost:${proxy.port}/${name}/`);
    }
    const ways = [...urls.keys()];
    const loads = new Map(ways.map((way) => [way, { ms: [] as number[], requests: [] as number[] }]));
    for (let round = 0; round <= rounds; round++) {
      // Rotate the order each round so no way always goes first.
      for (const way of ways.map((_, i) => ways[(i + round) % ways.length])) {
        const load = await loadOnce(browser, urls.get(way)!, app.ready);
        if (round === 0) continue; // The first round compiles the app and fills the dev server's caches.
        loads.get(way)!.ms.push(load.ms);
        loads.get(way)!.requests.push(load.requests);
      }
      if (round > 0) log(`page load ${name} round ${round}: ${ways.map((way) => `${way} ${loads.get(way)!.ms.at(-1)!.toFixed(0)} ms`).join(', ')}`);
    }
    return new Map(ways.map((way) => [way, { ms: loads.get(way)!.ms, requests: median(loads.get(way)!.requests) }]));
  } finally {
    // The proxies before Mounts, which stops the dev server.
    for (const server of servers.reverse()) await server.stop();
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
    await page.waitForFunction(`document.body.innerText.includes(${JSON.stringify(ready)})`).catch((error: Error) => {
      throw new Error(`${url}: ${error.message}`);
    });
    return { ms, requests };
  } finally {
    await context.close();
  }
}

const LABELS: Record<Way, string> = {
  direct: 'direct',
  mounts: 'through Mounts',
  nginx: `through ${REFERENCES[0].label}`,
  caddy: `through ${REFERENCES[1].label}`,
};

/** The bench group: rows `page-load/<app>-<way>`, milliseconds per load. */
export async function pageLoadGroup(rounds: number, smoke: boolean, of: (key: string) => RowSamples, log: (line: string) => void): Promise<void> {
  const keys = PAGE_LOAD_APPS.flatMap((name) => WAYS.map((way) => `page-load/${name}-${way}`));
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
      for (const { way, missing } of REFERENCES) if (!result.has(way)) of(`page-load/${name}-${way}`).missing = missing();
      for (const [way, { ms, requests }] of result) {
        of(`page-load/${name}-${way}`).values.push(...ms);
        of(`page-load/${name}-${way}`).note = `${requests} requests per load${way === 'mounts' ? ' (the live reload script included)' : ''}`;
      }
    }
  } catch (error) {
    for (const key of keys) of(key).error = String((error as Error).message ?? error).split('\n')[0];
  }
}

/**
 * The group's rows per app: each way with its ratio to direct, then Mounts against each reference
 * proxy. Times, so a ratio is the other's time over this one's: 1 is as fast, and the target reads
 * like the others'. Only Mounts has a target; the references show what a proxy hop costs here.
 */
export function pageLoadRows(get: (key: string) => RowSamples | undefined): Row[] {
  const rows: Row[] = [];
  const over = (other: RowSamples | undefined, self: RowSamples | undefined) =>
    other?.values.length && self?.values.length ? median(other.values) / median(self.values) : undefined;
  for (const name of PAGE_LOAD_APPS) {
    const samples = (way: Way) => get(`page-load/${name}-${way}`);
    const direct = samples('direct');
    const label = (text: string) => `${TITLES[name]} dev server, fresh context, ${text}`;
    for (const way of WAYS) {
      const s = samples(way);
      if (s) rows.push(row('Page load', label(LABELS[way]), 'ms', s, way === 'mounts' ? { kind: 'ratio', min: 0.95 } : undefined, way === 'direct' ? 1 : over(direct, s)));
    }
    const mounts = samples('mounts');
    for (const { way, name: reference } of REFERENCES) {
      const s = samples(way);
      // Where Mounts' own row says why it has no samples, this one would only repeat it.
      if (!mounts || mounts.missing || !s) continue;
      const missing = s.missing ?? (s.error && `${way}: ${s.error}`);
      rows.push(row('Page load', label(`through Mounts over through ${reference} (ratio to the ${reference} row)`), 'ms', { ...mounts, note: undefined, missing }, undefined, over(s, mounts)));
    }
  }
  return rows;
}
