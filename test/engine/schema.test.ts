/**
 * schema/mounts.schema.json and config.ts must agree: the same samples are valid or invalid for
 * both, the schema knows the same keys and defaults, and every property is described (the editor
 * shows these descriptions on hover and completion).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { COMMON_MOUNT_KEYS, DEFAULTS, formatProblem, KIND_KEYS, MOUNT_KINDS, parseConfig, TOP_LEVEL_KEYS } from '../../src/engine/config';

const SCHEMA_FILE = path.resolve(__dirname, '../../../schema/mounts.schema.json');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = { [key: string]: Json };

const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Schema;
// VS Code's own keywords: annotations that validators ignore.
const ajv = new Ajv({
  allErrors: true,
  strict: true,
  // VS Code's JSON language service extensions to the schema vocabulary.
  keywords: ['markdownDescription', 'defaultSnippets', 'enumDescriptions', 'markdownEnumDescriptions', 'allowComments', 'allowTrailingCommas'],
});
const validate = ajv.compile(schema);

const mount = (fields: Record<string, Json>) => ({ mounts: [{ prefix: '/a', ...fields }] });

/** [what, sample, valid]: checked against both the code and the schema. */
const SAMPLES: [string, Json, boolean][] = [
  ['the smallest file', { mounts: [] }, true],
  ['every top-level field', { $schema: 'x', host: '0.0.0.0', port: 0, https: true, allowedHosts: ['App.Test', '[::1]', 'a_b.test'], mounts: [] }, true],
  ['IPv6 bind address', { host: '::1', mounts: [] }, true],
  ['no mounts', {}, false],
  ['mounts not an array', { mounts: {} }, false],
  ['unknown top-level key', { mounts: [], prot: 1 }, false],
  ['$schema not a string', { $schema: 1, mounts: [] }, false],
  ['host with a port', { host: '127.0.0.1:8080', mounts: [] }, false],
  ['host as a URL', { host: 'http://0.0.0.0', mounts: [] }, false],
  ['empty host', { host: '', mounts: [] }, false],
  ['host not a string', { host: 1, mounts: [] }, false],
  ['port as a string', { port: '8080', mounts: [] }, false],
  ['port too big', { port: 65536, mounts: [] }, false],
  ['port negative', { port: -1, mounts: [] }, false],
  ['port not an integer', { port: 1.5, mounts: [] }, false],
  ['https as a string', { https: 'true', mounts: [] }, false],
  ['allowedHosts not an array', { allowedHosts: 'a.test', mounts: [] }, false],
  ['allowedHosts with a scheme', { allowedHosts: ['http://a.test'], mounts: [] }, false],
  ['allowedHosts with a port', { allowedHosts: ['a.test:80'], mounts: [] }, false],
  ['allowedHosts with a path', { allowedHosts: ['a.test/x'], mounts: [] }, false],
  ['allowedHosts with a wildcard', { allowedHosts: ['*.a.test'], mounts: [] }, false],
  ['every connections field', { connections: { max: 100, headersTimeout: 2.5, idleTimeout: 1 }, mounts: [] }, true],
  ['connections not an object', { connections: 100, mounts: [] }, false],
  ['connections.max zero', { connections: { max: 0 }, mounts: [] }, false],
  ['connections.max not an integer', { connections: { max: 1.5 }, mounts: [] }, false],
  ['connections.headersTimeout zero', { connections: { headersTimeout: 0 }, mounts: [] }, false],
  ['connections.idleTimeout a string', { connections: { idleTimeout: '5' }, mounts: [] }, false],
  ['unknown connections field', { connections: { maximum: 5 }, mounts: [] }, false],
  ['allowedHosts with bare IPv6', { allowedHosts: ['::1'], mounts: [] }, false],
  ['allowedHosts empty entry', { allowedHosts: [''], mounts: [] }, false],
  ['host with a ";"', { host: '127.0.0.1;return', mounts: [] }, false],
  ['host with a "$"', { host: '$hostname', mounts: [] }, false],
  ['host in brackets', { host: '[::1]', mounts: [] }, false],
  ['host a name', { host: 'my-box.lan', mounts: [] }, true],
  ['connections.headersTimeout beyond a timer', { connections: { headersTimeout: 2147484 }, mounts: [] }, false],

  ['module mount', mount({ module: 'a.js', export: 'app', name: 'A', host: 'Docs.Localhost' }), true],
  ['static mount', mount({ static: 'public', spa: true, listing: false }), true],
  ['proxy mount', mount({ proxy: 'http://127.0.0.1:5000/base/', stripPrefix: false, timeout: 0.5 }), true],
  ['proxy mount, upper-case scheme', mount({ proxy: 'HTTP://localhost' }), true],
  ['command mount, every field', mount({
    command: 'python3 app.py', cwd: 'py', env: { DEBUG: '1' }, port: 5000, readyPath: '/health', readyTimeout: 1,
    restart: 'always', stripPrefix: false, start: 'onRequest', idleTimeout: 5, timeout: 1,
  }), true],
  ['mount not an object', { mounts: ['/a'] }, false],
  ['mount without a kind', mount({}), false],
  ['mount with two kinds', mount({ module: 'a.js', static: 'p' }), false],
  ['mount without prefix', { mounts: [{ static: 'p' }] }, false],
  ['unknown mount key', mount({ static: 'p', prefx: '/a' }), false],
  ['field of another kind', mount({ proxy: 'http://a', spa: true }), false],
  ['command field on a static mount', mount({ static: 'p', port: 1 }), false],
  ['empty name', mount({ static: 'p', name: '' }), false],
  ['mount host with a port', mount({ static: 'p', host: 'a.localhost:80' }), false],
  ['empty module', mount({ module: '' }), false],
  ['empty export', mount({ module: 'a.js', export: '' }), false],
  ['empty static', mount({ static: '' }), false],
  ['spa not a boolean', mount({ static: 'p', spa: 'yes' }), false],
  ['listing not a boolean', mount({ static: 'p', listing: 1 }), false],
  ['proxy https', mount({ proxy: 'https://a', secure: false }), true],
  ['proxy secure not a boolean', mount({ proxy: 'https://a', secure: 'no' }), false],
  ['proxy socks', mount({ proxy: 'socks://a' }), false],
  ['proxy ws', mount({ proxy: 'ws://a' }), false],
  ['proxy without scheme', mount({ proxy: 'localhost:5000' }), false],
  ['proxy with credentials', mount({ proxy: 'http://u:p@a' }), false],
  ['proxy with a query', mount({ proxy: 'http://a/?x=1' }), false],
  ['proxy with a fragment', mount({ proxy: 'http://a/#x' }), false],
  ['proxy with a space', mount({ proxy: 'http://a/b c' }), false],
  ['proxy empty', mount({ proxy: '' }), false],
  ['proxy timeout zero', mount({ proxy: 'http://a', timeout: 0 }), false],
  ['proxy timeout the longest timer', mount({ proxy: 'http://a', timeout: 2147483 }), true],
  ['proxy timeout beyond a timer', mount({ proxy: 'http://a', timeout: 1e300 }), false],
  ['proxy with "$" in the host', mount({ proxy: 'http://$http_x_up:18301' }), false],
  ['proxy with "$" in the path', mount({ proxy: 'http://a/$uri' }), false],
  ['proxy with ";" in the host', mount({ proxy: 'http://a;b:1' }), false],
  ['proxy with braces in the host', mount({ proxy: 'http://a{b}' }), false],
  ['proxy with a backslash', mount({ proxy: 'http://a\\b' }), false],
  ['proxy host of hyphens', mount({ proxy: 'http://---:1' }), false],
  ['proxy with ";" in the path', mount({ proxy: 'http://a/b;c' }), true],
  ['proxy to an IDN', mount({ proxy: 'http://café.test/x' }), true],
  ['proxy to an IPv6 address', mount({ proxy: 'http://[::1]:7000/base' }), true],
  ['name with a newline', mount({ static: 'p', name: 'a\nb' }), false],
  ['name with a line separator', mount({ static: 'p', name: 'a\u2028b' }), false],
  ['name with braces, "$" and quotes', mount({ static: 'p', name: '{$x} "y"' }), true],
  ['static with a NUL', mount({ static: 'p\u0000' }), false],
  ['command with a NUL', mount({ command: 'a\u0000b' }), false],
  ['command env value with a NUL', mount({ command: 'x', env: { A: 'a\u0000b' } }), false],
  ['stripPrefix not a boolean', mount({ proxy: 'http://a', stripPrefix: 'no' }), false],
  ['command empty', mount({ command: ' ' }), false],
  ['command cwd empty', mount({ command: 'x', cwd: '' }), false],
  ['command env value a number', mount({ command: 'x', env: { A: 1 } }), false],
  ['command env name with "="', mount({ command: 'x', env: { 'A=B': '1' } }), false],
  ['command env an array', mount({ command: 'x', env: ['A=1'] }), false],
  ['command port too big', mount({ command: 'x', port: 70000 }), false],
  ['command readyPath relative', mount({ command: 'x', readyPath: 'health' }), false],
  ['command readyTimeout negative', mount({ command: 'x', readyTimeout: -1 }), false],
  ['command restart unknown', mount({ command: 'x', restart: 'sometimes' }), false],
  ['command start unknown', mount({ command: 'x', start: 'lazy' }), false],
  ['command idleTimeout zero', mount({ command: 'x', idleTimeout: 0 }), false],
  ['wsgi mount', mount({ wsgi: 'blog:blog' }), true],
  ['wsgi mount, every field', mount({
    wsgi: 'pkg.blog:create_app()', python: '.venv/bin/python', cwd: 'py', env: { DEBUG: '1' }, reload: false,
    readyTimeout: 1, restart: 'always', start: 'onRequest', idleTimeout: 5, timeout: 1,
  }), true],
  ['asgi mount', mount({ asgi: 'main:app', python: 'python3.12' }), true],
  ['asgi dotted attribute', mount({ asgi: 'main:server.app' }), true],
  ['wsgi without ":"', mount({ wsgi: 'blog' }), false],
  ['wsgi naming a file', mount({ wsgi: 'blog.py:app' }), false],
  ['wsgi invalid module', mount({ wsgi: 'my-blog:app' }), false],
  ['wsgi factory with arguments', mount({ wsgi: 'blog:make(1)' }), false],
  ['wsgi empty attribute', mount({ wsgi: 'blog:' }), false],
  ['asgi empty', mount({ asgi: '' }), false],
  ['asgi not a string', mount({ asgi: 1 }), false],
  ['python empty', mount({ wsgi: 'a:b', python: '' }), false],
  ['python not a string', mount({ wsgi: 'a:b', python: ['python3'] }), false],
  ['reload not a boolean', mount({ wsgi: 'a:b', reload: 'yes' }), false],
  ['port on a wsgi mount', mount({ wsgi: 'a:b', port: 5000 }), false],
  ['stripPrefix on an asgi mount', mount({ asgi: 'a:b', stripPrefix: false }), false],
  ['python on a command mount', mount({ command: 'x', python: 'python3' }), false],
  ['wsgi and asgi', mount({ wsgi: 'a:b', asgi: 'a:c' }), false],
];

const PREFIXES: [string, boolean][] = [
  ['/', true],
  ['/blog', true],
  ['/blog/', true],
  ['/a/b', true],
  ['/.well-known', true],
  ['/v1.2', true],
  ['/..a', true],
  ['/café', true],
  ['', false],
  ['blog', false],
  ['//', false],
  ['/a//b', false],
  ['/blog//', false],
  ['/.', false],
  ['/..', false],
  ['/a/./b', false],
  ['/a/../', false],
  ['/a?b', false],
  ['/a#b', false],
  ['/a%20b', false],
  ['/api/*', false],
  ['/a b', false],
  ['/a\tb', false],
  ['/a\u0000', false],
];

/** Valid JSON that only the code can judge: the schema cannot compare one mount with another. */
const CODE_ONLY: [string, Json][] = [
  ['duplicate prefix', { mounts: [{ prefix: '/a', static: 'p' }, { prefix: '/a/', static: 'q' }] }],
  ['duplicate prefix on one host', { mounts: [{ prefix: '/', static: 'p', host: 'a.localhost' }, { prefix: '/', static: 'q', host: 'A.localhost' }] }],
];

function codeProblems(sample: Json): string[] {
  return parseConfig(JSON.stringify(sample, null, 2), path.resolve('/site/mounts.json')).problems.map(formatProblem);
}

function schemaErrors(sample: Json): string[] {
  return validate(sample) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** Follows `$ref` within the schema file. */
function resolve(node: Schema): Schema {
  const ref = node.$ref;
  if (typeof ref !== 'string') return node;
  return ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<Schema>((at, key) => at[key] as Schema, schema);
}

function mountBranches(): Map<string, Schema> {
  const branches = (resolve(schema.definitions as Schema).mount as Schema).oneOf as Schema[];
  return new Map(branches.map((branch) => [(branch.required as string[]).find((k) => k !== 'prefix')!, branch]));
}

describe('schema/mounts.schema.json', () => {
  describe('agrees with config.ts on validity', () => {
    for (const [what, sample, expected] of SAMPLES) {
      it(`${expected ? 'accepts' : 'rejects'} ${what}`, () => {
        const code = codeProblems(sample);
        const fromSchema = schemaErrors(sample);
        assert.equal(code.length === 0, expected, `config.ts: ${code.join('\n') || 'valid'}`);
        assert.equal(fromSchema.length === 0, expected, `schema: ${fromSchema.join('\n') || 'valid'}`);
      });
    }

    it('on every prefix rule', () => {
      for (const [prefix, expected] of PREFIXES) {
        const sample = { mounts: [{ prefix, static: 'p' }] };
        assert.equal(codeProblems(sample).length === 0, expected, `config.ts on ${JSON.stringify(prefix)}`);
        assert.equal(schemaErrors(sample).length === 0, expected, `schema on ${JSON.stringify(prefix)}`);
      }
    });

    it('except where only the code can judge (documented here)', () => {
      for (const [what, sample] of CODE_ONLY) {
        assert.notDeepEqual(codeProblems(sample), [], `config.ts should reject ${what}`);
        assert.deepEqual(schemaErrors(sample), [], `schema accepts ${what}`);
      }
    });
  });

  it('is a valid draft-07 schema', () => {
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    assert.equal(ajv.validateSchema(schema), true, JSON.stringify(ajv.errors));
  });

  it('knows the same top-level keys as the code', () => {
    assert.deepEqual(Object.keys(schema.properties as Schema).sort(), [...TOP_LEVEL_KEYS].sort());
    assert.equal(schema.additionalProperties, false);
  });

  it('has one branch per mount kind with the same keys as the code', () => {
    const branches = mountBranches();
    assert.deepEqual([...branches.keys()].sort(), [...MOUNT_KINDS].sort());
    for (const kind of MOUNT_KINDS) {
      const branch = branches.get(kind)!;
      assert.deepEqual(Object.keys(branch.properties as Schema).sort(), [...COMMON_MOUNT_KEYS, ...KIND_KEYS[kind]].sort(), kind);
      assert.equal(branch.additionalProperties, false, kind);
    }
  });

  it('publishes the same defaults as the code', () => {
    const top = schema.properties as Schema;
    const field = (kind: string, key: string) => resolve((mountBranches().get(kind)!.properties as Schema)[key] as Schema).default;
    assert.equal(resolve(top.host as Schema).default, DEFAULTS.host);
    assert.equal(resolve(top.port as Schema).default, DEFAULTS.port);
    const connections = (top.connections as Schema).properties as Schema;
    assert.equal((connections.headersTimeout as Schema).default, DEFAULTS.headersTimeout);
    assert.equal((connections.idleTimeout as Schema).default, DEFAULTS.keepAliveTimeout);
    assert.equal(field('static', 'spa'), DEFAULTS.spa);
    assert.equal(field('static', 'listing'), DEFAULTS.listing);
    assert.equal(field('proxy', 'stripPrefix'), DEFAULTS.stripPrefix);
    assert.equal(field('proxy', 'timeout'), DEFAULTS.timeout);
    assert.equal(field('command', 'stripPrefix'), DEFAULTS.stripPrefix);
    assert.equal(field('command', 'timeout'), DEFAULTS.timeout);
    assert.equal(field('command', 'port'), DEFAULTS.commandPort);
    assert.equal(field('command', 'readyTimeout'), DEFAULTS.readyTimeout);
    assert.equal(field('command', 'restart'), DEFAULTS.restart);
    assert.equal(field('command', 'start'), DEFAULTS.start);
    assert.equal(field('command', 'idleTimeout'), DEFAULTS.idleTimeout);
    for (const kind of ['wsgi', 'asgi']) {
      assert.equal(field(kind, 'reload'), DEFAULTS.reload);
      assert.equal(field(kind, 'readyTimeout'), DEFAULTS.readyTimeout);
      assert.equal(field(kind, 'restart'), DEFAULTS.restart);
      assert.equal(field(kind, 'start'), DEFAULTS.start);
      assert.equal(field(kind, 'idleTimeout'), DEFAULTS.idleTimeout);
      assert.equal(field(kind, 'timeout'), DEFAULTS.timeout);
    }
  });

  it('describes every property, in plain text and in Markdown', () => {
    const undescribed: string[] = [];
    const visit = (node: Schema, where: string) => {
      const target = resolve(node);
      for (const key of ['description', 'markdownDescription']) {
        if (typeof target[key] !== 'string' || (target[key] as string).length < 10) undescribed.push(`${where} (${key})`);
      }
      for (const [name, child] of Object.entries((target.properties as Schema | undefined) ?? {})) {
        visit(child as Schema, `${where}.${name}`);
      }
      if (target.items) visit(target.items as Schema, `${where}[]`);
      for (const [i, branch] of ((target.oneOf as Schema[] | undefined) ?? []).entries()) visit(branch, `${where}<${i}>`);
    };
    visit(schema, '');
    assert.deepEqual(undescribed, []);
  });
});
