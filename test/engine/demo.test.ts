/**
 * Issue 2's done-criterion: `npm ci && npm start` serves examples/demo, and every link of the demo
 * page answers from its app. The bundled CLI serves the demo as `npm start` does, on a free port
 * instead of 8080; the links are read from the page, so a new link is checked without a test edit.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readConfig } from '../../src/engine/config';
import type { MountSpec, MountsConfig } from '../../src/engine/spec';
import { waitFor } from '../waitFor';
import { isListening, request } from './helpers';

const REPO = path.resolve(__dirname, '../../..');
const CLI = path.join(REPO, 'dist/cli.js');
const DEMO = path.join(REPO, 'examples/demo');
const PAGE = path.join(DEMO, 'public/index.html');

interface Link {
  readonly tag: string;
  readonly url: URL;
}

/** Every href and src of the page, resolved against the page's URL under `npm start`. */
function linksOf(html: string, pageUrl: string): Link[] {
  return [...html.matchAll(/<(\w+)\b[^>]*?\b(?:href|src)="([^"]+)"/g)].map(([, tag, ref]) => ({ tag, url: new URL(ref, pageUrl) }));
}

/** The mount that must answer `url`: host-specific mounts first, then the longest prefix on a `/` boundary. */
function mountFor(config: MountsConfig, url: URL): MountSpec {
  const matches = (spec: MountSpec) =>
    spec.prefix === '/' || url.pathname === spec.prefix || url.pathname.startsWith(`${spec.prefix}/`);
  const byLength = (a: MountSpec, b: MountSpec) => b.prefix.length - a.prefix.length;
  const forHost = config.mounts.filter((spec) => spec.host === url.hostname && matches(spec)).sort(byLength);
  const anyHost = config.mounts.filter((spec) => spec.host === undefined && matches(spec)).sort(byLength);
  const spec = forHost[0] ?? anyHost[0];
  assert.ok(spec, `no mount of ${config.file} serves ${url.href}`);
  return spec;
}

/** What the body must show for `spec` to have answered `url`. */
const LIVE_TAG_START = '<script src="/__mounts/live.js"';

function assertBodyFrom(spec: MountSpec, url: URL, body: string): void {
  const where = `${url.href} (mount ${spec.name})`;
  switch (spec.kind) {
    case 'module':
      // Each demo app names itself or the prefix it is mounted at.
      assert.ok(body.toLowerCase().includes(spec.name.toLowerCase()), `${where} answered ${body}`);
      return;
    case 'static': {
      const rest = decodeURIComponent(spec.prefix === '/' ? url.pathname : url.pathname.slice(spec.prefix.length));
      const target = path.join(spec.root, rest);
      if (fs.existsSync(target) && fs.statSync(target).isDirectory()) {
        const index = path.join(target, 'index.html');
        if (fs.existsSync(index)) assert.equal(body, fs.readFileSync(index, 'utf8'), where);
        else for (const name of fs.readdirSync(target)) assert.ok(body.includes(name), `${where}: the listing lacks ${name}`);
      } else if (fs.existsSync(target)) {
        assert.equal(body, fs.readFileSync(target, 'utf8'), where);
      } else {
        assert.ok(spec.spa, `${where}: no such file and no SPA fallback`);
        assert.equal(body, fs.readFileSync(path.join(spec.root, 'index.html'), 'utf8'), `${where}: the SPA fallback`);
      }
      return;
    }
    default:
      assert.fail(`${where}: the demo has no ${spec.kind} mounts; teach this test how to recognize one`);
  }
}

describe('the demo (npm start)', function () {
  this.timeout(30_000);
  let config: MountsConfig;
  let child: ChildProcess | undefined;
  let stdout = '';
  let stderr = '';
  let exited: Promise<number | null>;

  before(async function () {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
    const result = await readConfig(path.join(DEMO, 'mounts.json'));
    assert.deepEqual(result.problems, []);
    config = result.config!;
  });

  after(async () => {
    // Only when a test failed before its SIGINT: never leave the server running.
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });

  it('npm start builds, then serves examples/demo on http://localhost:8080 as README says', () => {
    const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
    const firstCommand = readme.split('\n').find((line) => line.trim() !== '' && !line.startsWith('#'));
    assert.match(firstCommand ?? '', /^\s+npm ci && npm start\s+# builds, then serves examples\/demo on http:\/\/localhost:8080 until Ctrl-C$/);

    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string>; bin: Record<string, string> };
    const steps = pkg.scripts.start.split('&&').map((step) => step.trim());
    assert.deepEqual(steps, [pkg.scripts.build, `node ${path.normalize(pkg.bin.mounts)} serve examples/demo`], 'build, then serve the demo with its own host and port');
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8080);
  });

  it('every link of the demo page answers 200 from its app, and SIGINT stops with exit 0', async () => {
    child = spawn(process.execPath, [CLI, 'serve', 'examples/demo', '--port', '0'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    const spawned = child;
    exited = new Promise((resolve) => spawned.on('exit', (code) => resolve(code)));
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    await waitFor(() => `the URL; stdout: ${stdout}\nstderr: ${stderr}`, () => /Mounts serving (http:\/\/\S+)/.test(stdout));
    const origin = new URL(/Mounts serving (http:\/\/\S+)/.exec(stdout)![1]);
    assert.equal(origin.hostname, 'localhost');
    const port = Number(origin.port);

    const pageUrl = `http://${config.host}:${config.port}/`;
    const links = linksOf(fs.readFileSync(PAGE, 'utf8'), pageUrl);
    assert.ok(links.filter((link) => link.tag === 'a').length >= 5, 'the page has its links');
    const answered = new Set<MountSpec>();
    for (const { tag, url } of links) {
      assert.equal(url.protocol, 'http:', url.href);
      assert.equal(url.port, String(config.port), `${url.href} points at the demo's own port`);
      const spec = mountFor(config, url);
      answered.add(spec);
      // An <a> is a browser navigation (what the SPA fallback keys on); the rest are asset loads.
      const accept = tag === 'a' ? 'text/html,application/xhtml+xml,*/*;q=0.8' : '*/*';
      const response = await request({ port, path: url.pathname + url.search, headers: { Host: `${url.hostname}:${port}`, Accept: accept } });
      assert.equal(response.status, 200, `${url.href} answered ${response.status}: ${response.body}`);
      // A navigation to a page of a mount with live reload gets the script once; the rest is the app's.
      const liveTags = response.body.split(LIVE_TAG_START).length - 1;
      const isPage = tag === 'a' && /text\/html/.test(String(response.headers['content-type']));
      assert.equal(liveTags, isPage && spec.liveReload ? 1 : 0, `${url.href}: live reload script tags in ${response.body}`);
      assertBodyFrom(spec, url, response.body.replace(/<script src="\/__mounts\/live\.js"[^>]*><\/script>/, ''));
      const logLine = `GET ${url.pathname}${url.search} -> ${spec.name} 200 `;
      await waitFor(() => `the access log line "${logLine}"; stdout: ${stdout}`, () => stdout.includes(logLine));
    }
    assert.deepEqual(
      config.mounts.filter((spec) => !answered.has(spec)).map((spec) => spec.name),
      [],
      'every mount of the demo, the docs.localhost host mount included, is linked from the page',
    );

    child.kill('SIGINT');
    assert.equal(await exited, 0, stderr);
    assert.equal(await isListening(port), false);
  });
});
