/**
 * mounts.json is untrusted input to `mounts export`. A family of hostile files (names, hosts,
 * prefixes, targets, folders and the config's own folder holding newlines, `;`, braces, `$`,
 * quotes, backslashes, `#`, YAML document markers, Unicode line separators…) is each either
 * refused with the file, line and field, or exported to files real nginx and Caddy accept, with one
 * YAML document per Host group, and nothing from mounts.json outside a comment. Real nginx and
 * Caddy started from an export of hostile names answer only what the mounts say.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { readConfig } from '../../src/engine/config';
import { EXPORT_TARGETS, ExportConfigError, exportConfig, exportMounts, type ExportTarget, type MountsConfig } from '../../src/engine/index';
import { checkExport } from './fixtures/exportCheck';
import { startCaddy, startNginx, type Front } from './fixtures/fronts';
import { freePort, makeWorkspace, request } from './helpers';

const CLI = path.resolve(__dirname, '../../../dist/cli.js');

/** A server block's directive, a site's directive and a Kubernetes document, each after a line break. */
const NGINX_DIRECTIVE = 'x\n    return 200 PWNED;\n#';
const CADDY_DIRECTIVE = 'x\n\theader X-Injected yes\n#';
const YAML_DOCUMENT = [
  'x',
  '---',
  'apiVersion: rbac.authorization.k8s.io/v1',
  'kind: ClusterRoleBinding',
  'metadata: {name: pwned}',
  'roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}',
  'subjects: [{kind: Group, name: "system:anonymous"}]',
  '#',
].join('\n');
/** Caddy replaces `{$VAR}` anywhere, comments included; this one breaks the file if it is ever replaced. */
const ENV_PLACEHOLDER = '{$MOUNTS_TEST_INJECT}';
const HOSTILE = [
  NGINX_DIRECTIVE,
  CADDY_DIRECTIVE,
  YAML_DOCUMENT,
  // Line breaks for some reader only: CR, and NEL, LS and PS (YAML 1.1, which kubectl reads).
  'cr\rreturn 200 PWNED;',
  'nel\u0085kind: ClusterRoleBinding',
  'ls\u2028kind: ClusterRoleBinding',
  'ps\u2029kind: ClusterRoleBinding',
  'a;b',
  'a { return 200 PWNED; }',
  ENV_PLACEHOLDER,
  '{http.request.host}',
  '$host',
  '$http_x_up',
  '"quoted"',
  "'single'",
  'back\\slash',
  '#hash',
  '---',
  '...',
  '`tick`',
  'bidi\u202eX',
  'tab\tx',
];
/** Text that is live configuration only if something was injected. */
const MARKERS = ['PWNED', 'X-Injected', 'ClusterRoleBinding', 'cluster-admin', 'system:anonymous', 'bogus_directive'];
const UPSTREAM = 'http://127.0.0.1:18301';
const LINE_BREAKING = /[\p{Cc}\p{Zl}\p{Zp}]/u;

/** mounts.json holding `config`, in `folder` (a hostile name of its own) when given. */
function configFile(config: object, folder?: string): string {
  const base = makeWorkspace({ 'public/index.html': 'x' });
  const dir = folder === undefined ? base : path.join(base, folder);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'mounts.json');
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

function assertNothingLive(target: ExportTarget, text: string): void {
  const live = text.split('\n').filter((line) => !/^\s*#/.test(line));
  const found = live.filter((line) => MARKERS.some((marker) => line.includes(marker)));
  assert.deepEqual(found, [], `${target}: injected lines:\n${text}`);
}

/**
 * Exports `file` to every target. Returns the refusal (the same for all three), or undefined when
 * all three were written and pass their readers with one YAML document and nothing injected.
 */
async function outcome(file: string): Promise<string | undefined> {
  const refusals: (string | undefined)[] = [];
  for (const target of EXPORT_TARGETS) {
    try {
      const result = await exportMounts(target, file);
      await checkExport(target, result.text, 1);
      assertNothingLive(target, result.text);
      refusals.push(undefined);
    } catch (error) {
      if (!(error instanceof ExportConfigError)) throw error;
      refusals.push(error.message);
    }
  }
  assert.ok(refusals.every((refusal) => refusal === refusals[0]), `the targets disagree:\n${refusals.join('\n')}`);
  return refusals[0];
}

type Expectation = 'refused' | 'exported' | 'either';

interface Field {
  readonly what: string;
  /** The problem's field in mounts.json when it is refused. */
  readonly field: string;
  readonly config: (hostile: string) => object;
  readonly folder?: (hostile: string) => string;
  readonly expect: (hostile: string) => Expectation;
}

const proxy = (fields: object = {}) => ({ prefix: '/api', proxy: UPSTREAM, ...fields });

const FIELDS: readonly Field[] = [
  {
    what: "a mount's name (in comments and warnings)",
    field: 'mounts[0].name',
    // A timeout the Gateway cannot export and a prefix no target can: the name is in both warnings.
    config: (name) => ({ mounts: [proxy({ name, timeout: 5 }), { prefix: '/odd$', name, static: 'public' }] }),
    expect: (name) => (LINE_BREAKING.test(name) ? 'refused' : 'exported'),
  },
  { what: 'a prefix', field: 'mounts[0].prefix', config: (text) => ({ mounts: [proxy({ prefix: `/${text}` })] }), expect: () => 'either' },
  { what: 'a static folder', field: 'mounts[0].static', config: (text) => ({ mounts: [{ prefix: '/s', static: text }] }), expect: () => 'exported' },
  {
    what: "a proxy target's host",
    field: 'mounts[0].proxy',
    config: (text) => ({ mounts: [proxy({ proxy: `http://${text}:18301` })] }),
    expect: () => 'refused',
  },
  { what: "a proxy target's path", field: 'mounts[0].proxy', config: (text) => ({ mounts: [proxy({ proxy: `${UPSTREAM}/${text}` })] }), expect: () => 'either' },
  { what: 'the bind host', field: 'host', config: (host) => ({ host, mounts: [proxy()] }), expect: () => 'refused' },
  { what: "a mount's host", field: 'mounts[0].host', config: (host) => ({ mounts: [proxy({ host })] }), expect: (host) => (host === '---' ? 'either' : 'refused') },
  { what: 'allowedHosts', field: 'allowedHosts[0]', config: (host) => ({ allowedHosts: [host], mounts: [proxy()] }), expect: (host) => (host === '---' ? 'either' : 'refused') },
  {
    what: "the config's own folder (in the header and in static folders)",
    field: '',
    config: () => ({ mounts: [proxy(), { prefix: '/s', static: 'public' }, { prefix: '/m', module: 'app.js' }] }),
    folder: (text) => text.replaceAll('/', '_'),
    expect: () => 'exported',
  },
];

describe('mounts export of a hostile mounts.json', function () {
  this.timeout(120_000);

  before(function () {
    process.env.MOUNTS_TEST_INJECT = '\n\tbogus_directive';
  });
  after(function () {
    delete process.env.MOUNTS_TEST_INJECT;
  });

  for (const field of FIELDS) {
    it(`refuses ${field.what} with its position, or writes files nginx, Caddy and YAML read as written`, async function () {
      for (const hostile of HOSTILE) {
        const label = `${field.what} ${JSON.stringify(hostile)}`;
        const config = field.config(hostile) as { mounts: object[] };
        // A mount every target writes, so that the Gateway export has its one HTTPRoute.
        const refusal = await outcome(configFile({ ...config, mounts: [...config.mounts, { prefix: '/safe', proxy: UPSTREAM }] }, field.folder?.(hostile)));
        const expected = field.expect(hostile);
        if (refusal === undefined) {
          assert.notEqual(expected, 'refused', `${label} was exported`);
        } else {
          assert.notEqual(expected, 'exported', `${label} was refused:\n${refusal}`);
          const position = new RegExp(`mounts\\.json:\\d+:\\d+: ${field.field.replace(/[.[\]$]/g, '\\$&')} `);
          assert.match(refusal, position, label);
        }
      }
    });
  }

  it('writes a hostile config folder into the header as one shell word, and a hostile name as one quoted string', async function () {
    const folder = `${NGINX_DIRECTIVE}'${ENV_PLACEHOLDER}\u2028`;
    const file = configFile({ mounts: [{ prefix: '/m', module: 'app.js', name: '$host "x"' }] }, folder);
    const { text } = await exportMounts('nginx', file);
    await checkExport('nginx', text);
    const shellWord = `$'${file.replace(folder, () => "x\\x0a    return 200 PWNED;\\x0a#\\'\\x7b$MOUNTS_TEST_INJECT\\x7d\\u2028")}'`;
    assert.ok(text.includes(`# Generated by \`mounts export nginx\` from ${shellWord}.\n`), text.slice(0, 400));
    assert.ok(text.includes(`#   mounts serve ${shellWord} --only module --host 127.0.0.1 --port 8081\n`), text.slice(0, 800));
    // bash reads the word back as the file's path.
    const echoed = spawnSync('bash', ['-c', `printf %s ${shellWord}`], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8' } });
    assert.equal(echoed.stdout, file);
    assert.ok(text.includes('    # /m ("$host \\"x\\""): module, on the app server\n'), text);
  });

  describe('real nginx and Caddy started from an export of hostile names', function () {
    let upstream: http.Server;
    const fronts: Front[] = [];

    before(async function () {
      upstream = http.createServer((req, res) => res.end(`upstream ${req.url}`));
      await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    });
    after(async function () {
      for (const front of fronts) await front.stop();
      await new Promise((resolve) => upstream.close(resolve));
    });

    for (const [target, start] of [
      ['nginx', startNginx],
      ['caddy', startCaddy],
    ] as const) {
      it(`${target} answers only what the mounts say`, async function () {
        const site = makeWorkspace({ 'a.txt': 'a\n' });
        // nginx's workers run as an unprivileged user, which must be able to read the served folder.
        fs.chmodSync(site, 0o755);
        const port = await freePort();
        const file = configFile({
          port,
          mounts: [
            { prefix: '/api', proxy: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, timeout: 5 },
            { prefix: '/site', static: site },
            { prefix: '/odd$', static: site },
          ],
        });
        const { config } = await readConfig(file);
        // mounts.json refuses names with line breaks; a config made in code gets the same export.
        // Each name is what, pasted into the file, would be a live directive there.
        const names = { nginx: [NGINX_DIRECTIVE, 'x\n    add_header X-Injected yes;\n#', 'plain'], caddy: [CADDY_DIRECTIVE, CADDY_DIRECTIVE, 'plain'] }[target];
        const named = (these: readonly string[]): MountsConfig => ({ ...config!, mounts: config!.mounts.map((mount, index) => ({ ...mount, name: these[index] })) });
        const { text } = exportConfig(target, named(names));
        const frontDir = makeWorkspace();
        const exported = path.join(frontDir, `exported.${target}`);
        fs.writeFileSync(exported, text);
        const front = await start(frontDir, exported, port);
        fronts.push(front);
        for (const [at, status, body] of [
          ['/api/x?y=1', 200, 'upstream /x?y=1'],
          ['/site/a.txt', 200, 'a\n'],
          ['/', 404, undefined],
          ['/odd$/a.txt', 404, undefined],
        ] as const) {
          const response = await request({ port, path: at, headers: { Host: 'localhost' } });
          assert.equal(response.status, status, `${at}: ${response.body}\n${front.output()}`);
          if (body !== undefined) assert.equal(response.body, body, at);
          assert.ok(!response.body.includes('PWNED'), response.body);
          assert.equal(response.headers['x-injected'], undefined, at);
        }
        await checkExport(target, text);
        assertNothingLive(target, text);
        // The Gateway export of the same config: one HTTPRoute, nothing else.
        const yaml = exportConfig('gateway', named([YAML_DOCUMENT, YAML_DOCUMENT, YAML_DOCUMENT])).text;
        await checkExport('gateway', yaml, 1);
        assertNothingLive('gateway', yaml);
      });
    }
  });

  describe('proxy targets', function () {
    it('refuses "$", a backslash and what is no host in a target, with the file, line and field', async function () {
      const targets = ['http://$http_x_up:18301', 'http://127.0.0.1:18301/$uri', 'http://a;b:1', 'http://a{b}:1', "http://a'b", 'http://a!b', 'http://a\\b'];
      const file = configFile({ mounts: targets.map((target, index) => proxy({ prefix: `/p${index}`, proxy: target })) });
      const { problems } = await readConfig(file);
      assert.deepEqual(
        problems.map((problem) => `${problem.line} ${problem.field}`),
        targets.map((_, index) => `${5 + index * 4} mounts[${index}].proxy`),
      );
      assert.match(problems[0].message, /^mounts\[0\]\.proxy "http:\/\/\$http_x_up:18301" must not contain "\$"$/);
      assert.match(problems[2].message, /^mounts\[2\]\.proxy "http:\/\/a;b:1" has an invalid host "a;b"/);
      assert.match(problems[6].message, /^mounts\[6\]\.proxy "http:\/\/a\\\\b" must not contain "\\"/);
    });

    it('the CLI refuses to export a target with "$" (exit 2, file:line:col, nothing written)', function () {
      const file = configFile({ mounts: [proxy({ proxy: 'http://$http_x_up:18301' })] });
      const result = spawnSync(process.execPath, [CLI, 'export', 'nginx', path.dirname(file)], { encoding: 'utf8' });
      assert.equal(result.status, 2, result.stderr);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, /mounts\.json:5:16: mounts\[0\]\.proxy "http:\/\/\$http_x_up:18301" must not contain "\$"/);
    });

    it('leaves out, with a warning, a mount whose target path nginx or Caddy would read as syntax', async function () {
      const file = configFile({ mounts: [proxy({ proxy: `${UPSTREAM}/a;b'c`, name: 'semi' }), proxy({ prefix: '/ok', proxy: `${UPSTREAM}/caf%C3%A9` })] });
      for (const target of ['nginx', 'caddy'] as const) {
        const { text, warnings } = await exportMounts(target, file);
        await checkExport(target, text);
        assert.ok(warnings.includes(`/api ("semi") is not exported: its target's path has characters other than letters, digits, . _ ~ - / and %-escapes, which nginx and Caddy read as syntax.`), warnings.join('\n'));
        assert.ok(!text.includes("a;b'c"), text);
        assert.ok(text.includes('caf%C3%A9'), text);
      }
    });
  });

  describe('the Gateway export', function () {
    it('has no HTTPRoute without rules, and none for a host the Gateway API cannot name, each with a warning', async function () {
      const skipped = configFile({ mounts: [{ prefix: '/odd$', static: 'public' }] });
      await checkExport('gateway', (await exportMounts('gateway', skipped)).text, 0);
      const underscore = configFile({ allowedHosts: ['my_app.test', 'app.test'], mounts: [proxy(), proxy({ host: 'my_box.test' })] });
      const { text, warnings } = await exportMounts('gateway', underscore);
      await checkExport('gateway', text, 1);
      assert.ok(warnings.includes('Host "my_box.test" is not a Gateway API hostname (letters, digits, "-" and "."): its mounts are not exported.'), warnings.join('\n'));
      assert.ok(warnings.includes('allowedHosts name "my_app.test" is not a Gateway API hostname (letters, digits, "-" and "."): the host-less routes do not list it.'), warnings.join('\n'));
      assert.match(text, /hostnames:\n\s+- app\.test\n/);
    });
  });

  describe('bind hosts and timeouts', function () {
    it('refuses a bind host that is no address, with the file, line and field', async function () {
      for (const host of ['127.0.0.1;return', '$hostname', '{$HOST}', '[::1]', '-x-']) {
        const { problems } = await readConfig(configFile({ host, mounts: [] }));
        assert.deepEqual(problems.map((problem) => `${problem.line}:${problem.column} ${problem.field}`), ['2:11 host'], host);
      }
      const { problems } = await readConfig(configFile({ host: '[::1]', mounts: [] }));
      assert.equal(problems[0].message, 'host "[::1]" must be written without brackets, like "::1"');
      for (const host of ['::1', '0.0.0.0', 'localhost', 'my-box.lan', '127.0.0.1']) {
        const { problems: none } = await readConfig(configFile({ host, mounts: [] }));
        assert.deepEqual(none, [], host);
      }
    });

    it('writes fractions of a second as whole milliseconds, and refuses more than a timer can hold', async function () {
      for (const [timeout, written] of [
        [0.5, '500ms'],
        [0.0001, '1ms'],
        [1.25, '1250ms'],
        [90, '90s'],
        [2147483, '2147483s'],
      ] as const) {
        const file = configFile({ mounts: [proxy({ timeout })] });
        const nginx = (await exportMounts('nginx', file)).text;
        await checkExport('nginx', nginx);
        assert.ok(nginx.includes(`proxy_read_timeout ${written};`) && nginx.includes(`proxy_send_timeout ${written};`), `${timeout}:\n${nginx}`);
        const caddy = (await exportMounts('caddy', file)).text;
        await checkExport('caddy', caddy);
        assert.ok(caddy.includes(`read_timeout ${written}\n`), `${timeout}:\n${caddy}`);
      }
      for (const timeout of [1e300, 2147484]) {
        const { problems } = await readConfig(configFile({ mounts: [proxy({ timeout })] }));
        assert.deepEqual(problems.map((problem) => `${problem.line} ${problem.message}`), [`6 mounts[0].timeout must be at most 2147483 seconds (about 24 days), found number ${timeout}`]);
      }
    });
  });

  describe('environment values', function () {
    it('refuses a NUL in an env value, a command or a path when mounts.json is read, not when the app starts', async function () {
      const file = configFile({
        mounts: [
          { prefix: '/c', command: 'node app.js', env: { OK: 'yes', BAD: 'a\u0000b' } },
          { prefix: '/w', wsgi: 'app:app', env: { BAD: '\u0000' } },
          { prefix: '/n', command: 'node\u0000app.js' },
          { prefix: '/s', static: 'pub\u0000lic' },
        ],
      });
      const { problems } = await readConfig(file);
      assert.deepEqual(
        problems.map((problem) => `${problem.line} ${problem.message}`),
        [
          '8 mounts[0].env.BAD must not contain a NUL character',
          '15 mounts[1].env.BAD must not contain a NUL character',
          '20 mounts[2].command must not contain a NUL character',
          '24 mounts[3].static must not contain a NUL character',
        ],
      );
    });
  });
});
