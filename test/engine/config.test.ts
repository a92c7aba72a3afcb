import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { formatProblem, LineIndex, parseConfig, readConfig, sourceRangeAt } from '../../src/engine/config';
import type { MountsConfig } from '../../src/engine/spec';

const FILE = 'mounts.json';
const DIR = process.cwd();

/** Every problem of `text`, formatted. */
function problems(text: string): string[] {
  const result = parseConfig(text, FILE);
  assert.equal(result.config, undefined, 'no config when there are problems');
  return result.problems.map(formatProblem);
}

/** `{"mounts": [` on line 1, the mount on line 2 from column 3, `]}` on line 3. */
function mountProblems(mount: string): string[] {
  return problems(`{"mounts": [\n  ${mount}\n]}`);
}

function valid(text: string, file = FILE): MountsConfig {
  const { config, problems } = parseConfig(text, file);
  assert.deepEqual(problems.map(formatProblem), []);
  assert.ok(config);
  return config;
}

describe('config: mounts.json', () => {
  describe('syntax', () => {
    it('reports a missing comma at the token after it', () => {
      assert.deepEqual(problems('{\n  "port": 8080\n  "mounts": []\n}'), [
        'mounts.json:3:3: syntax error: expected ","',
      ]);
    });

    it('reports every syntax error at once', () => {
      const text = '{\n  "port": 8080\n  "mounts": [\n    { "prefix": "/" "static": "a" }\n  ]\n}';
      assert.deepEqual(problems(text), [
        'mounts.json:3:3: syntax error: expected ","',
        'mounts.json:4:21: syntax error: expected ","',
      ]);
    });

    it('reports an unterminated string', () => {
      assert.deepEqual(problems('{"mounts": [], "host": "127.0.0.1}'), [
        'mounts.json:1:24: syntax error: unterminated string',
        'mounts.json:1:35: syntax error: expected "}"',
      ]);
    });

    it('accepts comments and trailing commas', () => {
      const config = valid(`// the demo
{
  /* bind to loopback */
  "host": "127.0.0.1", // default
  "mounts": [
    { "prefix": "/blog", "module": "blog.js", },
  ],
}
`);
      assert.equal(config.mounts[0].prefix, '/blog');
    });

    it('accepts a byte order mark and keeps offsets', () => {
      const text = '\uFEFF{"mounts": [], "port": "x"}';
      const [problem] = parseConfig(text, FILE).problems;
      assert.equal(formatProblem(problem), 'mounts.json:1:25: port must be an integer from 0 to 65535, found string "x"');
      assert.equal(text.slice(problem.offset, problem.offset + problem.length), '"x"');
    });

    it('rejects an empty file', () => {
      assert.deepEqual(problems(''), ['mounts.json:1:1: the file is empty; expected an object with "mounts"']);
      assert.deepEqual(problems('// nothing yet\n'), [
        'mounts.json:1:1: the file is empty; expected an object with "mounts"',
      ]);
    });

    it('rejects a file that is not an object', () => {
      assert.deepEqual(problems('\n[]'), ['mounts.json:2:1: the file must contain an object, found array']);
    });
  });

  describe('top level', () => {
    it('fills in defaults', () => {
      const config = valid('{"mounts": []}');
      assert.deepEqual(config, {
        file: path.resolve(FILE),
        dir: DIR,
        host: '127.0.0.1',
        port: 8080,
        https: false,
        allowedHosts: [],
        connections: { headersTimeout: 10, idleTimeout: 5 },
        mounts: [],
      });
    });

    it('reads https, and says where it is not a boolean', () => {
      assert.equal(valid('{"https": true, "mounts": []}').https, true);
      assert.deepEqual(problems('{\n  "https": "yes",\n  "mounts": []\n}'), ['mounts.json:2:12: https must be true or false, found string "yes"']);
    });

    it('keeps connection limits, and says where one is wrong', () => {
      assert.deepEqual(valid('{"connections": {"max": 200, "headersTimeout": 3, "idleTimeout": 0.5}, "mounts": []}').connections, { max: 200, headersTimeout: 3, idleTimeout: 0.5 });
      assert.deepEqual(problems('{\n  "connections": {"max": 0, "headersTimout": 3},\n  "mounts": []\n}'), [
        'mounts.json:2:26: connections.max must be a positive integer, found number 0',
        'mounts.json:2:29: connections.headersTimout is not a field of connections; did you mean "headersTimeout"?',
      ]);
      assert.deepEqual(problems('{"connections": 5, "mounts": []}'), ['mounts.json:1:17: connections must be an object, found number 5']);
    });

    it('keeps host, port and allowedHosts, lower-casing host names, and records where port is', () => {
      const config = valid('{"$schema": "./schema.json", "host": "0.0.0.0", "port": 0, "allowedHosts": ["App.Test", "[::1]"], "mounts": []}');
      assert.equal(config.host, '0.0.0.0');
      assert.equal(config.port, 0);
      assert.deepEqual(config.allowedHosts, ['app.test', '[::1]']);
      assert.deepEqual(config.portRange, { offset: 56, length: 1, line: 1, column: 57 });
    });

    it('requires mounts', () => {
      assert.deepEqual(problems('{\n  "port": 8080\n}'), ['mounts.json:1:1: mounts is required']);
    });

    it('requires mounts to be an array', () => {
      assert.deepEqual(problems('{"mounts": {}}'), ['mounts.json:1:12: mounts must be an array of mounts, found object']);
    });

    it('rejects an unknown key and suggests the closest known one', () => {
      assert.deepEqual(problems('{"mounts": [], "prot": 8080}'), [
        'mounts.json:1:16: prot is not a top-level field; did you mean "port"?',
      ]);
    });

    it('rejects an unknown key without a suggestion when none is close', () => {
      assert.deepEqual(problems('{"mounts": [], "verbose": true}'), ['mounts.json:1:16: verbose is not a top-level field']);
    });

    it('rejects a key given twice', () => {
      assert.deepEqual(problems('{"mounts": [], "port": 1, "port": 2}'), [
        'mounts.json:1:27: port is given more than once',
      ]);
    });

    it('rejects a $schema that is not a string', () => {
      assert.deepEqual(problems('{"$schema": 1, "mounts": []}'), ['mounts.json:1:13: $schema must be a string, found number 1']);
    });

    it('rejects a port of the wrong type', () => {
      assert.deepEqual(problems('{"mounts": [], "port": "8080"}'), [
        'mounts.json:1:24: port must be an integer from 0 to 65535, found string "8080"',
      ]);
    });

    it('rejects a port out of range or not an integer', () => {
      assert.deepEqual(problems('{"mounts": [], "port": 65536}'), [
        'mounts.json:1:24: port must be an integer from 0 to 65535, found number 65536',
      ]);
      assert.deepEqual(problems('{"mounts": [], "port": 80.5}'), [
        'mounts.json:1:24: port must be an integer from 0 to 65535, found number 80.5',
      ]);
      assert.deepEqual(problems('{"mounts": [], "port": -1}'), [
        'mounts.json:1:24: port must be an integer from 0 to 65535, found number -1',
      ]);
    });

    it('rejects a host of the wrong type', () => {
      assert.deepEqual(problems('{"mounts": [], "host": null}'), ['mounts.json:1:24: host must be a string, found null']);
    });

    it('rejects an empty host', () => {
      assert.deepEqual(problems('{"mounts": [], "host": ""}'), ['mounts.json:1:24: host must not be empty']);
    });

    it('rejects a host that is a URL', () => {
      assert.deepEqual(problems('{"mounts": [], "host": "http://0.0.0.0"}'), [
        'mounts.json:1:24: host "http://0.0.0.0" must be an address to bind, like "127.0.0.1", not a URL',
      ]);
    });

    it('rejects a host with a port', () => {
      assert.deepEqual(problems('{"mounts": [], "host": "127.0.0.1:8080"}'), [
        'mounts.json:1:24: host "127.0.0.1:8080" must not include a port; set "port" instead',
      ]);
    });

    it('rejects a host with spaces', () => {
      assert.deepEqual(problems('{"mounts": [], "host": "local host"}'), [
        'mounts.json:1:24: host "local host" must not contain spaces',
      ]);
    });

    it('accepts IPv6 bind addresses', () => {
      assert.equal(valid('{"mounts": [], "host": "::1"}').host, '::1');
      assert.equal(valid('{"mounts": [], "host": "::"}').host, '::');
    });
  });

  describe('allowedHosts', () => {
    const hosts = (entry: string) => problems(`{"mounts": [], "allowedHosts": [${entry}]}`);

    it('must be an array', () => {
      assert.deepEqual(problems('{"mounts": [], "allowedHosts": "app.test"}'), [
        'mounts.json:1:32: allowedHosts must be an array of host names, found string "app.test"',
      ]);
    });

    it('rejects an entry that is not a string', () => {
      assert.deepEqual(hosts('1'), ['mounts.json:1:33: allowedHosts[0] must be a host name, found number 1']);
    });

    it('rejects an empty entry', () => {
      assert.deepEqual(hosts('""'), ['mounts.json:1:33: allowedHosts[0] must not be empty']);
    });

    it('rejects a scheme and says what to write', () => {
      assert.deepEqual(hosts('"https://App.Test/"'), [
        'mounts.json:1:33: allowedHosts[0] "https://App.Test/" must be a host name without a scheme, like "app.test"',
      ]);
    });

    it('rejects a path', () => {
      assert.deepEqual(hosts('"app.test/x"'), [
        'mounts.json:1:33: allowedHosts[0] "app.test/x" must be a host name without a path, like "app.test"',
      ]);
    });

    it('rejects a port', () => {
      assert.deepEqual(hosts('"app.test:8080"'), [
        'mounts.json:1:33: allowedHosts[0] "app.test:8080" must be a host name without a port, like "app.test"',
      ]);
      assert.deepEqual(hosts('"[::1]:8080"'), [
        'mounts.json:1:33: allowedHosts[0] "[::1]:8080" must be a host name without a port, like "[::1]"',
      ]);
    });

    it('rejects a wildcard', () => {
      assert.deepEqual(hosts('"*.app.test"'), [
        'mounts.json:1:33: allowedHosts[0] "*.app.test" must be a host name; wildcards are not supported',
      ]);
    });

    it('rejects an IPv6 address without brackets', () => {
      assert.deepEqual(hosts('"::1"'), [
        'mounts.json:1:33: allowedHosts[0] "::1" is an IPv6 address; write it in brackets, like "[::1]"',
      ]);
    });

    it('rejects anything else that is not a host name', () => {
      assert.deepEqual(hosts('"app test"'), ['mounts.json:1:33: allowedHosts[0] "app test" is not a valid host name']);
    });
  });

  describe('mounts', () => {
    it('rejects a mount that is not an object', () => {
      assert.deepEqual(mountProblems('"/blog"'), ['mounts.json:2:3: mounts[0] must be an object, found string "/blog"']);
    });

    it('requires one of the kinds', () => {
      assert.deepEqual(mountProblems('{ "prefix": "/blog" }'), [
        'mounts.json:2:3: mounts[0] needs one of "module", "static", "proxy", "command", "wsgi" or "asgi"',
      ]);
    });

    it('rejects two kinds, naming both, at the second', () => {
      assert.deepEqual(mountProblems('{ "prefix": "/blog", "module": "a.js", "static": "b" }'), [
        'mounts.json:2:42: mounts[0] has both "module" and "static"; a mount has exactly one of "module", "static", "proxy", "command", "wsgi" or "asgi"',
      ]);
    });

    it('rejects three kinds, naming them all', () => {
      assert.deepEqual(mountProblems('{ "prefix": "/", "module": "a.js", "static": "b", "command": "c" }'), [
        'mounts.json:2:38: mounts[0] has "module", "static" and "command"; a mount has exactly one of "module", "static", "proxy", "command", "wsgi" or "asgi"',
      ]);
    });

    it('requires a prefix', () => {
      assert.deepEqual(mountProblems('{ "static": "public" }'), ['mounts.json:2:3: mounts[0].prefix is required']);
    });

    it('rejects an unknown mount key and suggests the closest known one', () => {
      assert.deepEqual(mountProblems('{ "prefx": "/blog", "module": "a.js" }'), [
        'mounts.json:2:3: mounts[0].prefix is required',
        'mounts.json:2:5: mounts[0].prefx is not a mount field; did you mean "prefix"?',
      ]);
      assert.deepEqual(mountProblems('{ "prefix": "/", "proxy": "http://a", "StripPrefix": false }'), [
        'mounts.json:2:41: mounts[0].StripPrefix is not a mount field; did you mean "stripPrefix"?',
      ]);
    });

    it('rejects an unknown mount key without a suggestion when none is close', () => {
      assert.deepEqual(mountProblems('{ "prefix": "/", "static": "p", "gzip": true }'), [
        'mounts.json:2:35: mounts[0].gzip is not a mount field',
      ]);
    });

    it('rejects a field of another kind, saying which kind it belongs to', () => {
      assert.deepEqual(mountProblems('{ "prefix": "/", "proxy": "http://a", "spa": true }'), [
        'mounts.json:2:41: mounts[0].spa belongs to static mounts, not proxy mounts',
      ]);
      assert.deepEqual(mountProblems('{ "prefix": "/", "static": "p", "stripPrefix": false }'), [
        'mounts.json:2:35: mounts[0].stripPrefix belongs to proxy and command mounts, not static mounts',
      ]);
    });

    it('rejects a mount key given twice', () => {
      assert.deepEqual(mountProblems('{ "prefix": "/a", "static": "p", "prefix": "/b" }'), [
        'mounts.json:2:36: mounts[0].prefix is given more than once',
      ]);
    });

    it('rejects wrong types, naming the expected and the actual type', () => {
      assert.deepEqual(mountProblems('{ "prefix": 1, "static": true, "spa": "yes", "name": [] }'), [
        'mounts.json:2:15: mounts[0].prefix must be a string, found number 1',
        'mounts.json:2:28: mounts[0].static must be a path, found boolean true',
        'mounts.json:2:41: mounts[0].spa must be true or false, found string "yes"',
        'mounts.json:2:56: mounts[0].name must be a string, found array',
      ]);
    });

    it('rejects an empty name', () => {
      assert.deepEqual(mountProblems('{ "prefix": "/", "static": "p", "name": "" }'), [
        'mounts.json:2:43: mounts[0].name must not be empty',
      ]);
    });

    it('defaults the name to the normalized prefix', () => {
      const config = valid('{"mounts": [{"prefix": "/blog/", "static": "p"}, {"prefix": "/f", "static": "p", "name": "Forum"}]}');
      assert.deepEqual(
        config.mounts.map((m) => m.name),
        ['/blog', 'Forum'],
      );
    });

    it('records the index and the range of each mount', () => {
      const text = '{"mounts": [\n  {"prefix": "/a", "static": "p"},\n  {"prefix": "/b", "static": "p"}\n]}';
      const config = valid(text);
      assert.deepEqual(
        config.mounts.map((m) => [m.index, m.range.line, m.range.column, text.slice(m.range.offset, m.range.offset + m.range.length)]),
        [
          [0, 2, 3, '{"prefix": "/a", "static": "p"}'],
          [1, 3, 3, '{"prefix": "/b", "static": "p"}'],
        ],
      );
    });
  });

  describe('prefix', () => {
    const prefixProblem = (prefix: string) => mountProblems(`{ "static": "p", "prefix": ${JSON.stringify(prefix)} }`);

    it('normalizes: a trailing "/" is dropped, "/" stays "/"', () => {
      const prefixes = ['/', '/blog', '/blog/', '/a/b/', '/.well-known', '/v1.2', '/~user', '/café'];
      const config = valid(JSON.stringify({ mounts: prefixes.map((prefix, i) => ({ prefix, static: 'p', host: `h${i}.test` })) }));
      assert.deepEqual(
        config.mounts.map((m) => m.prefix),
        ['/', '/blog', '/blog', '/a/b', '/.well-known', '/v1.2', '/~user', '/caf%C3%A9'], // matched against the raw, percent-encoded request path
      );
    });

    it('must start with "/"', () => {
      assert.deepEqual(prefixProblem('blog'), ['mounts.json:2:30: mounts[0].prefix "blog" must start with "/"']);
      assert.deepEqual(prefixProblem(''), ['mounts.json:2:30: mounts[0].prefix "" must start with "/"']);
    });

    it('must not contain an empty segment', () => {
      assert.deepEqual(prefixProblem('//'), ['mounts.json:2:30: mounts[0].prefix "//" must not contain an empty segment ("//")']);
      assert.deepEqual(prefixProblem('/a//b'), [
        'mounts.json:2:30: mounts[0].prefix "/a//b" must not contain an empty segment ("//")',
      ]);
      assert.deepEqual(prefixProblem('/blog//'), [
        'mounts.json:2:30: mounts[0].prefix "/blog//" must not contain an empty segment ("//")',
      ]);
    });

    it('must not contain "." or ".." segments', () => {
      for (const prefix of ['/.', '/..', '/a/./b', '/a/..', '/a/../']) {
        assert.deepEqual(prefixProblem(prefix), [
          `mounts.json:2:30: mounts[0].prefix ${JSON.stringify(prefix)} must not contain a "." or ".." segment`,
        ]);
      }
    });

    it('must not contain "?", "#", "%" or "*"', () => {
      assert.deepEqual(prefixProblem('/a?b'), ['mounts.json:2:30: mounts[0].prefix "/a?b" must not contain "?"']);
      assert.deepEqual(prefixProblem('/a#b'), ['mounts.json:2:30: mounts[0].prefix "/a#b" must not contain "#"']);
      assert.deepEqual(prefixProblem('/a%20b'), ['mounts.json:2:30: mounts[0].prefix "/a%20b" must not contain "%"']);
      assert.deepEqual(prefixProblem('/api/*'), ['mounts.json:2:30: mounts[0].prefix "/api/*" must not contain "*"']);
    });

    it('must not contain spaces or control characters', () => {
      assert.deepEqual(prefixProblem('/a b'), [
        'mounts.json:2:30: mounts[0].prefix "/a b" must not contain spaces or control characters',
      ]);
      assert.deepEqual(prefixProblem('/a\u0000'), [
        'mounts.json:2:30: mounts[0].prefix "/a\\u0000" must not contain spaces or control characters',
      ]);
    });

    it('rejects a duplicate after normalization at the later mount, naming the earlier one', () => {
      const text = `// the demo
{
  "port": 8080,
  "mounts": [
    { "prefix": "/blog", "module": "apps/blog.js" },
    { "prefix": "/forum", "module": "apps/forum.js" },
    { "prefix": "/blog/", "module": "apps/blog2.js" }
  ]
}`;
      assert.deepEqual(problems(text), ['mounts.json:7:17: mounts[2].prefix "/blog/" duplicates mounts[0].prefix "/blog"']);
    });

    it('allows the same prefix on different hosts and rejects it on the same host, whatever its case', () => {
      valid('{"mounts": [{"prefix": "/", "static": "a"}, {"prefix": "/", "static": "b", "host": "docs.localhost"}]}');
      assert.deepEqual(
        problems('{"mounts": [\n{"prefix": "/", "static": "a", "host": "docs.localhost"},\n{"prefix": "/", "static": "b", "host": "Docs.Localhost"}\n]}'),
        ['mounts.json:3:12: mounts[1].prefix "/" duplicates mounts[0].prefix "/" on host "docs.localhost"'],
      );
    });
  });

  describe('mount host', () => {
    it('is lower-cased', () => {
      const config = valid('{"mounts": [{"prefix": "/", "static": "a", "host": "Docs.LocalHost"}]}');
      assert.equal(config.mounts[0].host, 'docs.localhost');
    });

    it('is absent when not given', () => {
      const config = valid('{"mounts": [{"prefix": "/", "static": "a"}]}');
      assert.equal('host' in config.mounts[0], false);
    });

    it('rejects a port or a scheme', () => {
      assert.deepEqual(mountProblems('{ "prefix": "/", "static": "a", "host": "docs.localhost:8080" }'), [
        'mounts.json:2:43: mounts[0].host "docs.localhost:8080" must be a host name without a port, like "docs.localhost"',
      ]);
      assert.deepEqual(mountProblems('{ "prefix": "/", "static": "a", "host": "http://docs.localhost" }'), [
        'mounts.json:2:43: mounts[0].host "http://docs.localhost" must be a host name without a scheme, like "docs.localhost"',
      ]);
    });
  });

  describe('module mounts', () => {
    it('resolves the module against the folder of mounts.json and keeps the export', () => {
      const config = valid('{"mounts": [{"prefix": "/f", "module": "apps/forum.mjs", "export": "forum"}, {"prefix": "/b", "module": "/abs/blog.js"}]}', 'site/mounts.json');
      assert.deepEqual(config.mounts, [
        { index: 0, prefix: '/f', name: '/f', liveReload: true, range: config.mounts[0].range, kind: 'module', module: path.join(DIR, 'site/apps/forum.mjs'), exportName: 'forum' },
        { index: 1, prefix: '/b', name: '/b', liveReload: true, range: config.mounts[1].range, kind: 'module', module: path.resolve('/abs/blog.js') },
      ]);
      assert.equal(config.dir, path.join(DIR, 'site'));
      assert.equal(config.file, path.join(DIR, 'site/mounts.json'));
    });

    it('rejects an empty module', () => {
      assert.deepEqual(mountProblems('{ "prefix": "/", "module": "" }'), [
        'mounts.json:2:30: mounts[0].module must not be empty; use "." for the folder of mounts.json',
      ]);
    });

    it('rejects an empty or non-string export', () => {
      assert.deepEqual(mountProblems('{ "prefix": "/", "module": "a.js", "export": "" }'), [
        'mounts.json:2:48: mounts[0].export must not be empty',
      ]);
      assert.deepEqual(mountProblems('{ "prefix": "/", "module": "a.js", "export": 0 }'), [
        'mounts.json:2:48: mounts[0].export must be a string, found number 0',
      ]);
    });
  });

  describe('static mounts', () => {
    it('fills in defaults and resolves the folder', () => {
      const config = valid('{"mounts": [{"prefix": "/", "static": "public"}, {"prefix": "/app", "static": ".", "spa": true, "listing": true}]}');
      const [a, b] = config.mounts;
      assert.deepEqual(a, { index: 0, prefix: '/', name: '/', liveReload: true, range: a.range, kind: 'static', root: path.join(DIR, 'public'), spa: false, listing: false });
      assert.deepEqual(b, { index: 1, prefix: '/app', name: '/app', liveReload: true, range: b.range, kind: 'static', root: DIR, spa: true, listing: true });
    });

    it('rejects an empty folder', () => {
      assert.deepEqual(mountProblems('{ "prefix": "/", "static": "" }'), [
        'mounts.json:2:30: mounts[0].static must not be empty; use "." for the folder of mounts.json',
      ]);
    });

    it('rejects a listing that is not a boolean', () => {
      assert.deepEqual(mountProblems('{ "prefix": "/", "static": "p", "listing": 1 }'), [
        'mounts.json:2:46: mounts[0].listing must be true or false, found number 1',
      ]);
    });
  });

  describe('proxy mounts', () => {
    const proxy = (target: string) => mountProblems(`{ "prefix": "/api", "proxy": ${JSON.stringify(target)} }`);

    it('fills in defaults and drops a trailing "/" of the target', () => {
      const config = valid('{"mounts": [{"prefix": "/api", "proxy": "http://127.0.0.1:5000/"}, {"prefix": "/b", "proxy": "HTTP://Example.test:81/base/", "stripPrefix": false, "timeout": 2.5}]}');
      const [a, b] = config.mounts;
      assert.deepEqual(a, { index: 0, prefix: '/api', name: '/api', liveReload: true, range: a.range, kind: 'proxy', target: 'http://127.0.0.1:5000', stripPrefix: true, timeout: 60, secure: true });
      assert.deepEqual(b, { index: 1, prefix: '/b', name: '/b', liveReload: true, range: b.range, kind: 'proxy', target: 'http://example.test:81/base', stripPrefix: false, timeout: 2.5, secure: true });
    });

    it('accepts https:, with certificate checks unless secure is false', () => {
      const config = valid('{"mounts": [{"prefix": "/a", "proxy": "HTTPS://Api.Example.test/v1/"}, {"prefix": "/b", "proxy": "https://127.0.0.1:8443", "secure": false}]}');
      const [a, b] = config.mounts;
      assert.ok(a.kind === 'proxy' && b.kind === 'proxy');
      assert.deepEqual([a.target, a.secure], ['https://api.example.test/v1', true]);
      assert.deepEqual([b.target, b.secure], ['https://127.0.0.1:8443', false]);
      assert.deepEqual(mountProblems('{ "prefix": "/api", "proxy": "https://a", "secure": "no" }'), [
        'mounts.json:2:55: mounts[0].secure must be true or false, found string "no"',
      ]);
      assert.deepEqual(proxy('https://u@a'), ['mounts.json:2:32: mounts[0].proxy "https://u@a" must not contain credentials ("user@")']);
    });

    it('rejects ws: and wss:, saying what to write', () => {
      assert.deepEqual(proxy('ws://127.0.0.1:5000/hmr'), [
        'mounts.json:2:32: mounts[0].proxy "ws://127.0.0.1:5000/hmr" must be an http: or https: URL; WebSocket upgrades are proxied to the same target, like "http://127.0.0.1:5000/hmr"',
      ]);
      assert.deepEqual(proxy('wss://a.test/hmr'), [
        'mounts.json:2:32: mounts[0].proxy "wss://a.test/hmr" must be an http: or https: URL; WebSocket upgrades are proxied to the same target, like "https://a.test/hmr"',
      ]);
    });

    it('rejects other schemes', () => {
      assert.deepEqual(proxy('ftp://127.0.0.1'), [
        'mounts.json:2:32: mounts[0].proxy "ftp://127.0.0.1" must be an http: or https: URL, not ftp:',
      ]);
    });

    it('rejects a URL that is not absolute, saying what to write', () => {
      assert.deepEqual(proxy('localhost:5000'), [
        'mounts.json:2:32: mounts[0].proxy "localhost:5000" must be an absolute http: URL, like "http://localhost:5000"',
      ]);
      assert.deepEqual(proxy('//localhost:5000'), [
        'mounts.json:2:32: mounts[0].proxy "//localhost:5000" must be an absolute http: URL, like "http://localhost:5000"',
      ]);
    });

    it('rejects an empty target', () => {
      assert.deepEqual(proxy(''), ['mounts.json:2:32: mounts[0].proxy must not be empty']);
    });

    it('rejects a target that is not a string', () => {
      assert.deepEqual(mountProblems('{ "prefix": "/api", "proxy": 5000 }'), [
        'mounts.json:2:32: mounts[0].proxy must be an http: or https: URL, found number 5000',
      ]);
    });

    it('rejects an invalid URL', () => {
      assert.deepEqual(proxy('http://[::1'), ['mounts.json:2:32: mounts[0].proxy "http://[::1" is not a valid URL']);
    });

    it('rejects spaces', () => {
      assert.deepEqual(proxy('http://a/b c'), ['mounts.json:2:32: mounts[0].proxy "http://a/b c" must not contain spaces']);
    });

    it('rejects credentials, a query or a fragment', () => {
      assert.deepEqual(proxy('http://user:pw@127.0.0.1'), [
        'mounts.json:2:32: mounts[0].proxy "http://user:pw@127.0.0.1" must not contain credentials ("user@")',
      ]);
      assert.deepEqual(proxy('http://127.0.0.1/?a=1'), [
        'mounts.json:2:32: mounts[0].proxy "http://127.0.0.1/?a=1" must not have a query ("?")',
      ]);
      assert.deepEqual(proxy('http://127.0.0.1/#top'), [
        'mounts.json:2:32: mounts[0].proxy "http://127.0.0.1/#top" must not have a fragment ("#")',
      ]);
    });

    it('rejects a timeout that is not a positive number of seconds', () => {
      assert.deepEqual(mountProblems('{ "prefix": "/", "proxy": "http://a", "timeout": 0 }'), [
        'mounts.json:2:52: mounts[0].timeout must be a positive number of seconds, found number 0',
      ]);
      assert.deepEqual(mountProblems('{ "prefix": "/", "proxy": "http://a", "timeout": "5s" }'), [
        'mounts.json:2:52: mounts[0].timeout must be a positive number of seconds, found string "5s"',
      ]);
    });
  });

  describe('command mounts', () => {
    const command = (fields: string) => mountProblems(`{ "prefix": "/c", "command": "x", ${fields} }`);

    it('fills in defaults; cwd defaults to the folder of mounts.json', () => {
      const config = valid('{"mounts": [{"prefix": "/wsgi", "command": "python3 app.py"}]}', 'site/mounts.json');
      const [m] = config.mounts;
      assert.deepEqual(m, {
        index: 0,
        prefix: '/wsgi',
        name: '/wsgi',
        liveReload: true,
        range: m.range,
        kind: 'command',
        command: 'python3 app.py',
        cwd: path.join(DIR, 'site'),
        env: {},
        port: 0,
        readyTimeout: 30,
        restart: 'on-failure',
        stripPrefix: true,
        start: 'eager',
        idleTimeout: 300,
        timeout: 60,
      });
    });

    it('keeps every field given, resolving cwd', () => {
      const config = valid(`{"mounts": [{ "prefix": "/wsgi", "command": "python3 app.py", "cwd": "py",
        "env": { "DEBUG": "1" }, "port": 5001, "readyPath": "/health", "readyTimeout": 5,
        "restart": "never", "stripPrefix": false, "start": "onRequest", "idleTimeout": 10, "timeout": 1 }]}`);
      const [m] = config.mounts;
      assert.deepEqual(m, {
        index: 0,
        prefix: '/wsgi',
        name: '/wsgi',
        liveReload: true,
        range: m.range,
        kind: 'command',
        command: 'python3 app.py',
        cwd: path.join(DIR, 'py'),
        env: { DEBUG: '1' },
        port: 5001,
        readyPath: '/health',
        readyTimeout: 5,
        restart: 'never',
        stripPrefix: false,
        stripPrefixSet: true,
        start: 'onRequest',
        idleTimeout: 10,
        timeout: 1,
      });
    });

    it('rejects an empty command', () => {
      assert.deepEqual(mountProblems('{ "prefix": "/c", "command": "  " }'), ['mounts.json:2:32: mounts[0].command must not be empty']);
    });

    it('rejects an empty cwd', () => {
      assert.deepEqual(command('"cwd": ""'), [
        'mounts.json:2:44: mounts[0].cwd must not be empty; use "." for the folder of mounts.json',
      ]);
    });

    it('rejects env values that are not strings, saying how to write them', () => {
      assert.deepEqual(command('"env": { "DEBUG": 1, "OK": "1", "ON": true, "X": null }'), [
        'mounts.json:2:55: mounts[0].env.DEBUG must be a string, found number 1; write "1"',
        'mounts.json:2:75: mounts[0].env.ON must be a string, found boolean true; write "true"',
        'mounts.json:2:86: mounts[0].env.X must be a string, found null',
      ]);
    });

    it('rejects an env that is not an object', () => {
      assert.deepEqual(command('"env": ["A=1"]'), ['mounts.json:2:44: mounts[0].env must be an object of strings, found array']);
    });

    it('rejects an invalid environment variable name', () => {
      assert.deepEqual(command('"env": { "A=B": "1" }'), [
        'mounts.json:2:46: mounts[0].env["A=B"] is not a valid environment variable name',
      ]);
    });

    it('rejects a port out of range', () => {
      assert.deepEqual(command('"port": 70000'), [
        'mounts.json:2:45: mounts[0].port must be an integer from 0 to 65535, found number 70000',
      ]);
    });

    it('rejects a readyPath that does not start with "/"', () => {
      assert.deepEqual(command('"readyPath": "health"'), ['mounts.json:2:50: mounts[0].readyPath "health" must start with "/"']);
    });

    it('rejects an unknown restart policy, suggesting the closest', () => {
      assert.deepEqual(command('"restart": "alway"'), [
        'mounts.json:2:48: mounts[0].restart must be one of "on-failure", "always" or "never", found string "alway"; did you mean "always"?',
      ]);
      assert.deepEqual(command('"restart": true'), [
        'mounts.json:2:48: mounts[0].restart must be one of "on-failure", "always" or "never", found boolean true',
      ]);
    });

    it('rejects an unknown start mode', () => {
      assert.deepEqual(command('"start": "lazy"'), [
        'mounts.json:2:46: mounts[0].start must be one of "eager" or "onRequest", found string "lazy"',
      ]);
    });

    it('rejects timeouts that are not positive numbers of seconds', () => {
      assert.deepEqual(command('"readyTimeout": -1, "idleTimeout": 0, "timeout": null'), [
        'mounts.json:2:53: mounts[0].readyTimeout must be a positive number of seconds, found number -1',
        'mounts.json:2:72: mounts[0].idleTimeout must be a positive number of seconds, found number 0',
        'mounts.json:2:86: mounts[0].timeout must be a positive number of seconds, found null',
      ]);
    });
  });

  it('reports all problems at once, in file order', () => {
    const text = `{
  "port": "8080",
  "allowedHosts": ["http://app.test"],
  "mounts": [
    { "prefix": "/blog", "module": "blog.js" },
    { "prefix": "blog2", "module": "" },
    { "prefix": "/api", "proxy": "socks://127.0.0.1:5000", "spa": true },
    { "prefix": "/blog/", "static": "public" },
  ],
  "extra": 1,
}`;
    assert.deepEqual(problems(text), [
      'mounts.json:2:11: port must be an integer from 0 to 65535, found string "8080"',
      'mounts.json:3:20: allowedHosts[0] "http://app.test" must be a host name without a scheme, like "app.test"',
      'mounts.json:6:17: mounts[1].prefix "blog2" must start with "/"',
      'mounts.json:6:36: mounts[1].module must not be empty; use "." for the folder of mounts.json',
      'mounts.json:7:34: mounts[2].proxy "socks://127.0.0.1:5000" must be an http: or https: URL, not socks:',
      'mounts.json:7:60: mounts[2].spa belongs to static mounts, not proxy mounts',
      'mounts.json:8:17: mounts[3].prefix "/blog/" duplicates mounts[0].prefix "/blog"',
      'mounts.json:10:3: extra is not a top-level field',
    ]);
  });

  it('gives each problem its field, offset and length for editors', () => {
    const text = '{"mounts": [{"prefix": "/", "proxy": "socks://a"}]}';
    const [problem] = parseConfig(text, FILE).problems;
    assert.equal(problem.file, FILE);
    assert.equal(problem.field, 'mounts[0].proxy');
    assert.equal(text.slice(problem.offset, problem.offset + problem.length), '"socks://a"');
    assert.deepEqual([problem.line, problem.column], [1, 38]);
    assert.equal(problem.message, 'mounts[0].proxy "socks://a" must be an http: or https: URL, not socks:');
    assert.equal(String(problem), 'mounts.json:1:38: mounts[0].proxy "socks://a" must be an http: or https: URL, not socks:');
  });

  describe('formatProblem', () => {
    const at = { offset: 0, length: 0, line: 3, column: 4, field: '', message: 'm' };

    it('shows a file inside the current folder relative to it', () => {
      assert.equal(formatProblem({ ...at, file: 'mounts.json' }), 'mounts.json:3:4: m');
      assert.equal(formatProblem({ ...at, file: path.join(DIR, 'a', 'mounts.json') }), `${path.join('a', 'mounts.json')}:3:4: m`);
    });

    it('shows a file outside the current folder as an absolute path', () => {
      const outside = path.resolve(DIR, '..', 'elsewhere', 'mounts.json');
      assert.equal(formatProblem({ ...at, file: outside }), `${outside}:3:4: m`);
      assert.equal(formatProblem({ ...at, file: path.join('..', 'elsewhere', 'mounts.json') }), `${outside}:3:4: m`);
    });
  });

  describe('sourceRangeAt', () => {
    it('counts lines ending in \\n, \\r\\n or \\r, and columns from 1', () => {
      const text = 'ab\ncd\r\nef\rgh';
      assert.deepEqual(sourceRangeAt(text, 0, 1), { offset: 0, length: 1, line: 1, column: 1 });
      assert.deepEqual(sourceRangeAt(text, 2, 1), { offset: 2, length: 1, line: 1, column: 3 });
      assert.deepEqual(sourceRangeAt(text, 4, 0), { offset: 4, length: 0, line: 2, column: 2 });
      assert.deepEqual(sourceRangeAt(text, 7, 2), { offset: 7, length: 2, line: 3, column: 1 });
      assert.deepEqual(sourceRangeAt(text, 11, 1), { offset: 11, length: 1, line: 4, column: 2 });
      assert.deepEqual(sourceRangeAt(text, text.length, 0), { offset: 12, length: 0, line: 4, column: 3 });
    });

    it('agrees with a LineIndex built once', () => {
      const text = '{\r\n  "mounts": []\r\n}\n';
      const index = new LineIndex(text);
      for (let offset = 0; offset <= text.length; offset++) {
        assert.deepEqual(index.rangeAt(offset, 0), sourceRangeAt(text, offset, 0));
      }
    });
  });

  describe('readConfig', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'mounts-config-'));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('reads and validates a file, resolving paths against its folder', async () => {
      const file = path.join(dir, 'mounts.json');
      await writeFile(file, '{ "mounts": [ { "prefix": "/", "static": "public" } ] }');
      const { config, problems } = await readConfig(file);
      assert.deepEqual(problems, []);
      assert.equal(config?.file, file);
      assert.equal(config?.mounts[0].kind === 'static' && config.mounts[0].root, path.join(dir, 'public'));
    });

    it('reports problems with the file as given', async () => {
      const file = path.join(dir, 'bad.json');
      await writeFile(file, '{ "mounts": [], "port": true }');
      const { config, problems } = await readConfig(file);
      assert.equal(config, undefined);
      assert.deepEqual(problems.map(formatProblem), [`${file}:1:25: port must be an integer from 0 to 65535, found boolean true`]);
    });

    it('reports a missing file as one problem naming it', async () => {
      const file = path.join(dir, 'missing', 'mounts.json');
      const { config, problems } = await readConfig(file);
      assert.equal(config, undefined);
      assert.deepEqual(problems.map(formatProblem), [`${file}:1:1: file not found`]);
      assert.equal(problems[0].file, file);
    });

    it('reports a folder as one problem naming it', async () => {
      const folder = path.join(dir, 'folder.json');
      await mkdir(folder);
      const { problems } = await readConfig(folder);
      assert.deepEqual(problems.map(formatProblem), [`${folder}:1:1: is a folder, not a file`]);
    });
  });
});
