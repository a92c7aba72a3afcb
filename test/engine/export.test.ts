/**
 * `mounts export`: real `caddy validate` and `nginx -t` accept every export of the examples and of
 * test workspaces; the output is deterministic; the gateway YAML parses and each HTTPRoute rule
 * matches its mount; the CLI's export and `serve --only` as a user runs them.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { readConfig } from '../../src/engine/config';
import { exportConfig, exportMounts, EXPORT_TARGETS } from '../../src/engine/index';
import { caddyValidate, nginxTest } from './fixtures/fronts';
import { makeWorkspace } from './helpers';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist/cli.js');

/** Test workspaces beyond the examples: every kind, hosts, allowedHosts, https and based targets. */
function workspaces(): string[] {
  const everything = makeWorkspace({
    'mounts.json': JSON.stringify({
      host: '0.0.0.0',
      port: 9080,
      allowedHosts: ['app.example.com', '10.0.0.5'],
      mounts: [
        { prefix: '/', static: 'public', spa: true },
        { prefix: '/docs', static: 'docs', listing: true },
        { prefix: '/api', proxy: 'http://127.0.0.1:5000', timeout: 5 },
        { prefix: '/api/v2', proxy: 'http://localhost:8443/v2', stripPrefix: false },
        { prefix: '/legacy', proxy: 'http://[::1]:7000/base' },
        { prefix: '/mod', module: 'mod.js' },
        { prefix: '/cmd', command: 'node server.js', stripPrefix: false },
        { prefix: '/', host: 'admin.example.com', proxy: 'http://127.0.0.1:6000' },
        { prefix: '/static', host: 'cdn.example.com', static: 'public' },
        { prefix: '/static2', name: '/static', host: 'cdn.example.com', static: 'public' },
        { prefix: '/odd$name', static: 'public' },
      ],
    }),
    'public/index.html': 'x',
    'docs/a.md': 'a',
    'mod.js': 'module.exports = (req, res) => res.end()',
  });
  const minimal = makeWorkspace({ 'mounts.json': JSON.stringify({ mounts: [{ prefix: '/p', proxy: 'http://127.0.0.1:5000' }] }) });
  return [everything, minimal];
}

function examples(): string[] {
  return fs
    .readdirSync(path.join(ROOT, 'examples'))
    .map((name) => path.join(ROOT, 'examples', name))
    .filter((dir) => fs.existsSync(path.join(dir, 'mounts.json')));
}

describe('mounts export', function () {
  this.timeout(60_000);

  describe('real engines accept every export', function () {
    const all = [...examples(), ...workspaces()];
    it('covers the three examples and the test workspaces', function () {
      assert.ok(all.length >= 5, all.join(', '));
      assert.deepEqual(examples().map((dir) => path.basename(dir)).sort(), ['demo', 'python', 'vite', 'wsgi']);
    });
    for (const dir of all) {
      const label = dir.startsWith(ROOT) ? path.relative(ROOT, dir) : 'a test workspace';
      it(`caddy validate, nginx -t and the Gateway API schema accept the export of ${label}`, async function () {
        const file = path.join(dir, 'mounts.json');
        const out = makeWorkspace();
        const caddy = await exportMounts('caddy', file);
        fs.writeFileSync(path.join(out, 'exported.caddy'), caddy.text);
        const validated = caddyValidate(out, path.join(out, 'exported.caddy'));
        assert.ok(validated.ok, `caddy validate:\n${validated.output}\n${caddy.text}`);
        const nginx = await exportMounts('nginx', file);
        fs.writeFileSync(path.join(out, 'exported.nginx'), nginx.text);
        const tested = nginxTest(out, path.join(out, 'exported.nginx'));
        assert.ok(tested.ok, `nginx -t:\n${tested.output}\n${nginx.text}`);
        const gateway = await exportMounts('gateway', file);
        const { HTTPRoute } = await import('@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute');
        for (const document of parseAllDocuments(gateway.text)) {
          assert.deepEqual(document.errors, []);
          new HTTPRoute(document.toJS()).validate();
        }
      });
    }
  });

  describe('output', function () {
    let dir: string;
    before(function () {
      dir = workspaces()[0];
    });

    it('is the same bytes for the same mounts.json, and for the same mounts in another order', async function () {
      const file = path.join(dir, 'mounts.json');
      const config = JSON.parse(fs.readFileSync(file, 'utf8'));
      const reordered = makeWorkspace({
        'mounts.json': JSON.stringify({ ...config, mounts: [...config.mounts].reverse() }),
        'public/index.html': 'x',
        'docs/a.md': 'a',
        'mod.js': 'module.exports = (req, res) => res.end()',
      });
      for (const target of EXPORT_TARGETS) {
        const first = await exportMounts(target, file);
        const second = await exportMounts(target, file);
        assert.equal(first.text, second.text, target);
        const other = await exportMounts(target, path.join(reordered, 'mounts.json'));
        assert.equal(other.text.replaceAll(reordered, dir), first.text, `${target}: the order of mounts changed the output`);
      }
    });

    it('says it is generated, from which mounts.json, how to run the app server, and every warning', async function () {
      const file = path.join(dir, 'mounts.json');
      for (const target of EXPORT_TARGETS) {
        const { text, warnings, appServer } = await exportMounts(target, file, { appServer: 'http://127.0.0.1:9999' });
        assert.match(text, new RegExp(`^# Generated by \`mounts export ${target}\` from ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\.`));
        assert.deepEqual(appServer, { url: 'http://127.0.0.1:9999', kinds: ['command', 'module'] });
        assert.ok(text.includes(`mounts serve ${file} --only command,module --host 127.0.0.1 --port 9999`), text.slice(0, 800));
        assert.ok(warnings.some((warning) => warning.startsWith('/odd$name ("/odd$name") is not exported')), warnings.join('\n'));
        for (const warning of warnings) assert.ok(text.includes(`# WARNING: ${warning}`), `${target}: ${warning}`);
        assert.ok(!text.includes('/odd$name {') && !text.includes('value: /odd$name'), `${target} wrote the skipped mount`);
      }
    });
  });

  it('an https: proxy target becomes an https upstream that caddy and nginx accept', async function () {
    const dir = workspaces()[1];
    const { config } = await readConfig(path.join(dir, 'mounts.json'));
    const https = { ...config!, mounts: config!.mounts.map((mount) => (mount.kind === 'proxy' ? { ...mount, target: 'https://localhost/v1' } : mount)) };
    const out = makeWorkspace();
    const caddy = exportConfig('caddy', https).text;
    assert.ok(caddy.includes('reverse_proxy https://localhost:443 {') && caddy.includes('rewrite * /v1{uri}'), caddy);
    fs.writeFileSync(path.join(out, 'exported.caddy'), caddy);
    const validated = caddyValidate(out, path.join(out, 'exported.caddy'));
    assert.ok(validated.ok, validated.output);
    const nginx = exportConfig('nginx', https).text;
    assert.ok(nginx.includes('proxy_pass https://localhost:443/v1/;') && nginx.includes('proxy_ssl_server_name on;'), nginx);
    fs.writeFileSync(path.join(out, 'exported.nginx'), nginx);
    const tested = nginxTest(out, path.join(out, 'exported.nginx'));
    assert.ok(tested.ok, tested.output);
  });

  describe('gateway', function () {
    it("writes one HTTPRoute per Host group whose rules are the mounts' matches and filters", async function () {
      const dir = workspaces()[0];
      const { text } = await exportMounts('gateway', path.join(dir, 'mounts.json'), { appServer: 'http://127.0.0.1:9081' });
      const documents = parseAllDocuments(text).map((document) => document.toJS());
      assert.deepEqual(
        documents.map((route) => [route.apiVersion, route.kind, route.metadata.name, route.spec.hostnames]),
        [
          ['gateway.networking.k8s.io/v1', 'HTTPRoute', 'mounts', ['app.example.com']],
          ['gateway.networking.k8s.io/v1', 'HTTPRoute', 'mounts-admin-example-com', ['admin.example.com']],
          ['gateway.networking.k8s.io/v1', 'HTTPRoute', 'mounts-cdn-example-com', ['cdn.example.com']],
        ],
      );
      for (const route of documents) assert.deepEqual(route.spec.parentRefs, [{ name: 'mounts-gateway' }]);
      // The Gateway API's published schema (its CRDs, as packaged by kubernetes-models) accepts each.
      const { HTTPRoute } = await import('@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute');
      for (const route of documents) new HTTPRoute(route).validate();
      assert.throws(() => new HTTPRoute({ ...documents[0], spec: { rules: [{ matches: [{ path: { type: 'Prefix', value: '/a' } }] }] } }).validate(), /must be equal to one of the allowed values/);
      type Rule = { matches: { path: { type: string; value: string } }[]; filters?: { type: string; [key: string]: unknown }[]; backendRefs?: { name: string; port: number }[] };
      const rulesOf = (index: number) => new Map<string, Rule>((documents[index].spec.rules as Rule[]).map((rule) => [`${rule.matches[0].path.type} ${rule.matches[0].path.value}`, rule]));
      const main = rulesOf(0);
      const prefixHeader = (value: string) => ({
        type: 'RequestHeaderModifier',
        requestHeaderModifier: { set: [{ name: 'X-Forwarded-Prefix', value }], remove: ['Forwarded', 'X-Forwarded-Port', 'X-Real-IP'] },
      });
      const replace = (to: string) => ({ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: to } } });
      // Stripped: the prefix becomes '/'; kept with a target path: the prefix gets the path in front.
      assert.deepEqual(main.get('PathPrefix /api')!.filters, [replace('/'), prefixHeader('/api')]);
      assert.deepEqual(main.get('PathPrefix /api')!.backendRefs, [{ name: 'mounts-proxy-api', port: 5000 }]);
      assert.deepEqual(main.get('PathPrefix /api/v2')!.filters, [replace('/v2/api/v2'), prefixHeader('/api/v2')]);
      assert.deepEqual(main.get('PathPrefix /api/v2')!.backendRefs, [{ name: 'mounts-proxy-api-v2', port: 8443 }]);
      assert.deepEqual(main.get('PathPrefix /legacy')!.filters, [replace('/base'), prefixHeader('/legacy')]);
      // Module and command mounts: the app server, path untouched.
      for (const prefix of ['/mod', '/cmd']) {
        assert.deepEqual(main.get(`PathPrefix ${prefix}`), { matches: [{ path: { type: 'PathPrefix', value: prefix } }], backendRefs: [{ name: 'mounts-app-server', port: 9081 }] });
      }
      // Static: served from its Service with the prefix stripped; the bare prefix redirects.
      assert.deepEqual(main.get('Exact /docs')!.filters, [
        { type: 'RequestRedirect', requestRedirect: { path: { type: 'ReplaceFullPath', replaceFullPath: '/docs/' }, statusCode: 301 } },
      ]);
      assert.deepEqual(main.get('PathPrefix /docs')!.filters, [replace('/')]);
      assert.equal(main.get('PathPrefix /')!.filters, undefined);
      assert.equal(main.has('PathPrefix /odd$name'), false);
      // Host-bound: its own mounts; host-less ones its '/' covers are left out, as in Mounts.
      assert.deepEqual([...rulesOf(1).keys()], ['PathPrefix /']);
      // A host without '/' of its own falls back to the host-less mounts, longest prefix first.
      const cdn = [...rulesOf(2).keys()];
      for (const key of ['Exact /static', 'PathPrefix /static', 'PathPrefix /api/v2', 'PathPrefix /mod']) assert.ok(cdn.includes(key), `${key} in ${cdn.join(', ')}`);
      assert.ok(cdn.indexOf('PathPrefix /api/v2') < cdn.indexOf('PathPrefix /api'), cdn.join(', '));
      assert.equal(cdn[cdn.length - 1], 'PathPrefix /');
      // Two mounts with the same name get two Services; a host-less one has the same in every route.
      assert.equal(rulesOf(2).get('PathPrefix /static')!.backendRefs![0].name, 'mounts-static-static');
      assert.equal(rulesOf(2).get('PathPrefix /static2')!.backendRefs![0].name, 'mounts-static-static-2');
      assert.deepEqual(rulesOf(2).get('PathPrefix /api')!.backendRefs, main.get('PathPrefix /api')!.backendRefs);
      assert.ok(rulesOf(2).has('PathPrefix /api'));
    });
  });

  describe('the CLI', function () {
    it('writes --out, prints warnings on stderr, and exits 0', function () {
      const out = path.join(makeWorkspace(), 'Caddyfile');
      const result = spawnSync(process.execPath, [CLI, 'export', 'caddy', path.join(ROOT, 'examples/demo'), '--out', out], { encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      assert.match(fs.readFileSync(out, 'utf8'), /^# Generated by `mounts export caddy`/);
      assert.match(result.stderr, /^warning: Static folders:/m);
      assert.match(result.stderr, /wrote .*Caddyfile/);
    });

    it('exits 2 with file:line:col for an invalid mounts.json, and 64 for a bad target', function () {
      const dir = makeWorkspace({ 'mounts.json': '{\n  "mounts": [\n    { "prefix": "/a" }\n  ]\n}\n' });
      const invalid = spawnSync(process.execPath, [CLI, 'export', 'nginx', dir], { encoding: 'utf8' });
      assert.equal(invalid.status, 2);
      assert.match(invalid.stderr, /mounts\.json:3:5: mounts\[0\] needs one of/);
      assert.equal(invalid.stdout, '');
      const target = spawnSync(process.execPath, [CLI, 'export', 'apache', dir], { encoding: 'utf8' });
      assert.equal(target.status, 64);
      assert.match(target.stderr, /Unknown target "apache"\. Choose one of caddy, nginx, gateway\./);
    });

    it('serve --only refuses an unknown kind with 64', async function () {
      const child = spawn(process.execPath, [CLI, 'serve', path.join(ROOT, 'examples/demo'), '--only', 'module,nope'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      const code = await new Promise((resolve) => child.once('exit', resolve));
      assert.equal(code, 64);
      assert.match(stderr, /--only: unknown kind "nope"/);
    });
  });
});
