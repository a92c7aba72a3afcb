/**
 * `mounts mcp` as an agent's client runs it: the SDK's own Client over StdioClientTransport starts
 * the bundled CLI on a workspace with a module, a static and a command mount, and every answer is
 * checked against the live server (the same request over plain HTTP, the processes in /proc).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { CLI, waitFor } from './cliProcess';
import { get, isListening, makeWorkspace, taggedProcesses } from './helpers';

const TAG = `mcp-${process.pid}`;
const BINARY = Buffer.from([0, 159, 255, 1, 2, 3]);

const WORKSPACE = {
  'mounts.json': JSON.stringify(
    {
      port: 0,
      mounts: [
        { prefix: '/app', name: 'app', module: 'app.js' },
        { prefix: '/', name: 'site', static: 'public' },
        { prefix: '/cmd', name: 'cmd', command: 'node server.js', env: { MOUNTS_TEST_TAG: TAG } },
        { prefix: '/', name: 'docs', host: 'docs.localhost', static: 'docs' },
      ],
    },
    null,
    2,
  ),
  // console.log goes to the process's stdout, which is the MCP channel: it must not reach it.
  'app.js': `module.exports = (req, res) => {
  console.log('app saw ' + req.url);
  if (req.url === '/throw') throw new Error('boom from the app');
  if (req.url === '/silent') return;
  if (req.url === '/stream') return res.write('first chunk');
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ url: req.url, method: req.method, body: req.headers['content-length'] || null }));
};`,
  'public/index.html': '<!doctype html><title>home</title><p>hello from the static mount</p>',
  'docs/index.html': 'the docs host',
  'server.js': `const http = require('node:http');
const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'text/plain');
  res.end('cmd pid ' + process.pid + ' url ' + req.url);
});
server.listen(Number(process.env.PORT), process.env.HOST, () => console.log('cmd listening on ' + process.env.PORT));`,
};

interface Mount {
  name: string;
  kind: string;
  state: string;
  url?: string;
  pid?: number;
  port?: number;
  lastError?: string;
}
interface ServerAnswer {
  state: string;
  url?: string;
  note?: string;
  mounts: Mount[];
}
interface LogAnswer {
  lines: { seq: number; level: string; source?: string; message: string; error?: string }[];
  next: number;
  missed: number;
  more: boolean;
}
interface FetchAnswer {
  url: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  bodyEncoding: string;
  bodyBytes: number;
  truncated: boolean;
}

class McpRun {
  readonly client = new Client({ name: 'mounts-test', version: '1.0.0' });
  readonly transport: StdioClientTransport;
  stderr = '';

  constructor(dir: string, args: string[] = []) {
    this.transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', dir, ...args], stderr: 'pipe' });
    this.transport.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  connect(): Promise<void> {
    return this.client.connect(this.transport);
  }

  /** A tool's answer; fails naming the tool when it answered an error. */
  async call<T>(name: string, args: Record<string, unknown> = {}): Promise<T> {
    const result = (await this.client.callTool({ name, arguments: args })) as CallToolResult;
    assert.notEqual(result.isError, true, `${name} failed: ${JSON.stringify(result.content)}\nstderr:\n${this.stderr}`);
    assert.ok(result.structuredContent, `${name} answers structured content`);
    // The text form is the same answer, for clients that read only text.
    assert.deepEqual(JSON.parse((result.content[0] as { text: string }).text), result.structuredContent);
    return result.structuredContent as T;
  }

  /** The error message of a call that must fail. */
  async refused(name: string, args: Record<string, unknown> = {}): Promise<string> {
    const result = (await this.client.callTool({ name, arguments: args })) as CallToolResult;
    assert.equal(result.isError, true, `${name} ${JSON.stringify(args)} should fail, answered ${JSON.stringify(result.structuredContent)}`);
    return (result.content[0] as { text: string }).text;
  }

  async mounts(): Promise<ServerAnswer> {
    return this.call<ServerAnswer>('list_mounts');
  }

  /** Waits until every mount is ready (a command starts in the background). */
  async ready(): Promise<ServerAnswer> {
    let last: ServerAnswer | undefined;
    return waitFor(() => `every mount to be ready: ${JSON.stringify(last)}`, async () => {
      last = await this.mounts();
      return last.mounts.every((mount) => mount.state === 'ready') && last;
    }, 15_000);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

function mount(answer: ServerAnswer, name: string): Mount {
  const found = answer.mounts.find((candidate) => candidate.name === name);
  assert.ok(found, `mount ${name} in ${JSON.stringify(answer)}`);
  return found;
}

describe('mounts mcp', function () {
  this.timeout(60_000);
  before(function () {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  });

  describe('without --allow-control', () => {
    let dir: string;
    let run: McpRun;
    let server: ServerAnswer;

    before(async () => {
      dir = makeWorkspace(WORKSPACE);
      fs.writeFileSync(path.join(dir, 'public/logo.bin'), BINARY);
      run = new McpRun(dir);
      await run.connect();
      server = await run.ready();
    });
    after(async () => {
      await run.close();
    });

    it('lists the tools, each with an input and an output schema', async () => {
      const { tools } = await run.client.listTools();
      assert.deepEqual(
        tools.map((tool) => tool.name),
        ['list_mounts', 'get_logs', 'fetch', 'get_problems', 'restart_mount', 'start', 'stop'],
      );
      for (const tool of tools) {
        assert.equal(tool.inputSchema.type, 'object', tool.name);
        assert.equal(tool.outputSchema?.type, 'object', tool.name);
        assert.ok(tool.description && tool.description.length > 40, tool.name);
      }
      assert.deepEqual(tools.find((tool) => tool.name === 'fetch')?.inputSchema.required, ['path']);
    });

    it('list_mounts: every mount with its kind, state and URL, the command with its pid and port', async () => {
      assert.equal(server.state, 'started');
      assert.match(server.url ?? '', /^http:\/\/localhost:\d+\/$/);
      assert.deepEqual(
        server.mounts.map((m) => [m.name, m.kind, m.url]),
        [
          ['app', 'module', `${server.url}app/`],
          ['site', 'static', server.url],
          ['cmd', 'command', `${server.url}cmd/`],
          ['docs', 'static', `http://docs.localhost:${new URL(server.url!).port}/`],
        ],
      );
      const cmd = mount(server, 'cmd');
      assert.ok(taggedProcesses(TAG).includes(cmd.pid!), `the command's process ${cmd.pid} runs`);
      // The port list_mounts gives is the one the command's own server (a child of that process) answers on.
      const answer = /^cmd pid (\d+) url \/x$/.exec((await get(`http://127.0.0.1:${cmd.port}/x`)).body);
      assert.ok(answer && taggedProcesses(TAG).includes(Number(answer[1])));
    });

    it('fetch answers what HTTP answers: a module, a static page, a command, a binary file', async () => {
      for (const target of ['/app/hello?x=1', '/', '/index.html', '/cmd/some/where', '/missing.html']) {
        const fetched = await run.call<FetchAnswer>('fetch', { path: target });
        const direct = await get(`${server.url!.slice(0, -1)}${target}`);
        assert.equal(fetched.status, direct.status, target);
        assert.equal(fetched.body, direct.body, target);
        assert.equal(fetched.headers['content-type'], direct.headers['content-type'], target);
        assert.equal(fetched.bodyEncoding, 'utf8', target);
        assert.equal(fetched.truncated, false, target);
      }
      // A mount of its own host name answers when the tool is given that name.
      const hosted = await run.call<FetchAnswer>('fetch', { path: '/', host: 'docs.localhost' });
      assert.equal(hosted.body, 'the docs host');
      assert.equal(hosted.url, `http://docs.localhost:${new URL(server.url!).port}/`);
      const binary = await run.call<FetchAnswer>('fetch', { path: '/logo.bin' });
      assert.equal(binary.bodyEncoding, 'base64');
      assert.deepEqual(Buffer.from(binary.body, 'base64'), BINARY);
    });

    it('fetch sends a method, headers and a body, and returns only the start of a long answer', async () => {
      const posted = await run.call<FetchAnswer>('fetch', { path: '/app/form', method: 'POST', body: 'a=1&b=é', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.deepEqual(JSON.parse(posted.body), { url: '/form', method: 'POST', body: String(Buffer.byteLength('a=1&b=é')) });
      const start = await run.call<FetchAnswer>('fetch', { path: '/', maxBytes: 10 });
      assert.equal(start.body, WORKSPACE['public/index.html'].slice(0, 10));
      assert.equal(start.bodyBytes, 10);
      assert.equal(start.truncated, true);
    });

    it('fetch waits at most its timeout: no status is an error, an endless body is returned as far as it came', async () => {
      assert.match(await run.refused('fetch', { path: '/app/silent', timeout: 0.2 }), /^no answer from http:\/\/localhost:\d+\/app\/silent within 0\.2 s$/);
      const stream = await run.call<FetchAnswer>('fetch', { path: '/app/stream', timeout: 2 });
      assert.deepEqual([stream.status, stream.body, stream.truncated], [200, 'first chunk', true]);
    });

    it("an app's thrown error shows in get_logs (with its stack) and in list_mounts", async () => {
      const fetched = await run.call<FetchAnswer>('fetch', { path: '/app/throw' });
      assert.equal(fetched.status, 500);
      const logs = await run.call<LogAnswer>('get_logs', { mount: 'app' });
      const error = logs.lines.find((line) => line.level === 'error');
      assert.ok(error, JSON.stringify(logs));
      assert.equal(error.source, 'app');
      assert.match(error.message, /GET \/app\/throw failed/);
      assert.match(error.error ?? '', /Error: boom from the app\n\s+at /);
      assert.ok(logs.lines.every((line) => line.source === 'app'), 'only the app mount\'s lines');
      assert.equal(mount(await run.mounts(), 'app').lastError, 'boom from the app');
    });

    it("get_logs: the command's output by mount, an app's console output, and a cursor that gives only what is new", async () => {
      const cmd = await run.call<LogAnswer>('get_logs', { mount: 'cmd' });
      assert.ok(cmd.lines.some((line) => line.message === `cmd listening on ${mount(server, 'cmd').port}`), JSON.stringify(cmd));
      await run.call<FetchAnswer>('fetch', { path: '/app/printed' });
      const all = await run.call<LogAnswer>('get_logs', { limit: 500 });
      assert.ok(all.lines.some((line) => line.source === 'stdout' && line.message === 'app saw /printed'), 'console.log of a module app is a log line');
      assert.equal(all.more, false);
      const none = await run.call<LogAnswer>('get_logs', { since: all.next });
      assert.deepEqual(none.lines, []);
      await run.call<FetchAnswer>('fetch', { path: '/app/later' });
      const later = await run.call<LogAnswer>('get_logs', { since: all.next });
      assert.deepEqual(
        later.lines.map((line) => line.message),
        ['app saw /later'],
      );
      const paged = await run.call<LogAnswer>('get_logs', { limit: 1 });
      assert.equal(paged.lines.length, 1);
      assert.equal(paged.more, true);
    });

    it('get_problems reads mounts.json as it is now, with file, line and column', async () => {
      const file = path.join(dir, 'mounts.json');
      assert.deepEqual(await run.call('get_problems'), { configFile: file, problems: [] });
      const good = fs.readFileSync(file, 'utf8');
      fs.writeFileSync(file, '{\n  "port": 0,\n  "mounts": [\n    { "prefix": "nope", "static": "public" }\n  ]\n}\n');
      try {
        const { problems } = await run.call<{ problems: { file: string; line: number; column: number; field: string; message: string; kind: string }[] }>('get_problems');
        assert.equal(problems.length, 1, JSON.stringify(problems));
        assert.deepEqual({ ...problems[0], message: undefined }, { file, line: 4, column: 17, field: 'mounts[0].prefix', message: undefined, kind: 'config' });
        assert.match(problems[0].message, /prefix/);
      } finally {
        fs.writeFileSync(file, good);
      }
    });

    it('offers mounts.json as a resource', async () => {
      const { resources } = await run.client.listResources();
      assert.equal(resources.length, 1);
      assert.equal(resources[0].name, 'mounts.json');
      const read = await run.client.readResource({ uri: resources[0].uri });
      assert.equal((read.contents[0] as { text: string }).text, fs.readFileSync(path.join(dir, 'mounts.json'), 'utf8'));
    });

    it('refuses the control tools, saying how to allow them, and changes nothing', async () => {
      const pid = mount(await run.mounts(), 'cmd').pid;
      for (const [name, args] of [['restart_mount', { mount: 'cmd' }], ['stop', {}], ['start', {}]] as const) {
        assert.match(await run.refused(name, args), /--allow-control/, name);
      }
      const after = await run.mounts();
      assert.equal(after.state, 'started');
      assert.equal(mount(after, 'cmd').pid, pid);
    });

    it('bad input gets a tool error with a clear message, and the server keeps serving', async () => {
      const cases: [string, Record<string, unknown>, RegExp][] = [
        ['get_logs', { mount: 'nope' }, /no mount named "nope".*"app" \(\/app\), "site" \(\/\), "cmd" \(\/cmd\), "docs" \(docs\.localhost\/\)/],
        ['fetch', { path: 'http://example.com/' }, /must start with "\/".*takes no URL/],
        ['fetch', { path: '//evil/x' }, /starts with "\/\/", which names another host/],
        ['fetch', { path: '/a b' }, /percent-encode/],
        ['fetch', { path: '/', body: 'x'.repeat(70_000) }, /body: at most 65536 characters/],
        ['fetch', { path: '/', body: 'é'.repeat(40_000) }, /body: 80000 bytes as UTF-8; a fetch sends at most 65536/],
        ['fetch', { path: '/', headers: { Host: 'example.com' } }, /"Host" is set by the tool/],
        ['fetch', { path: '/', host: 'example.com' }, /host "example\.com" is not a mount's host name; the mounts' host names are docs\.localhost/],
        ['fetch', { path: '/', headers: { 'x-bad': 'a\r\nb' } }, /the request cannot be sent/],
        ['get_logs', { limit: 'ten' }, /limit/],
        ['get_logs', { limit: 100_000 }, /limit/],
        ['get_logs', { since: 1e9 }, /past the newest line/],
        ['fetch', {}, /path/],
        ['fetch', { path: '/', method: 'TRACE' }, /method/],
      ];
      for (const [name, args, expected] of cases) {
        assert.match(await run.refused(name, args), expected, `${name} ${JSON.stringify(args).slice(0, 80)}`);
        assert.equal((await run.call<FetchAnswer>('fetch', { path: '/app/still' })).status, 200, 'still serving');
      }
    });

    it('writes nothing but the protocol to stdout', async () => {
      // Every console.log of the app above went elsewhere, or the client could not have parsed a single answer since.
      assert.match(run.stderr, /app saw \/hello\?x=1/);
    });
  });

  describe('with --allow-control', () => {
    it('restarts a command, refuses a static mount, stops and starts the server', async () => {
      const dir = makeWorkspace(WORKSPACE);
      const run = new McpRun(dir, ['--allow-control']);
      await run.connect();
      try {
        const before = await run.ready();
        const oldPid = mount(before, 'cmd').pid!;
        const servedBy = async () => Number(/^cmd pid (\d+) /.exec((await run.call<FetchAnswer>('fetch', { path: '/cmd/' })).body)?.[1]);
        const oldServer = await servedBy();
        const { mount: restarted } = await run.call<{ mount: Mount }>('restart_mount', { mount: 'cmd' });
        assert.equal(restarted.state, 'ready');
        assert.notEqual(restarted.pid, oldPid);
        assert.deepEqual(taggedProcesses(TAG).includes(restarted.pid!), true);
        assert.equal(taggedProcesses(TAG).includes(oldPid), false, 'the old process is gone');
        const newServer = await servedBy();
        assert.notEqual(newServer, oldServer, 'a new process answers');
        assert.ok(taggedProcesses(TAG).includes(newServer));

        assert.match(await run.refused('restart_mount', { mount: 'site' }), /restarting "site" failed: .*nothing to reload/);

        const port = Number(new URL(before.url!).port);
        const stopped = await run.call<ServerAnswer>('stop');
        assert.equal(stopped.state, 'stopped');
        assert.equal(stopped.url, undefined);
        assert.equal(await isListening(port), false, 'the port is free');
        assert.deepEqual(taggedProcesses(TAG).filter((pid) => pid === restarted.pid), [], 'the command ended');
        assert.match(await run.refused('fetch', { path: '/' }), /the server is stopped/);

        const started = await run.call<ServerAnswer>('start');
        assert.equal(started.state, 'started');
        assert.equal((await run.call<FetchAnswer>('fetch', { path: '/index.html' })).status, 200);
      } finally {
        await run.close();
      }
    });
  });

  describe('when it cannot serve as mounts.json says', () => {
    it("serves on a free port when mounts.json's is taken, and says so", async () => {
      const taken = net.createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      const port = (taken.address() as AddressInfo).port;
      const dir = makeWorkspace({ 'mounts.json': JSON.stringify({ port, mounts: [{ prefix: '/', static: 'public' }] }), 'public/index.html': 'home' });
      const run = new McpRun(dir);
      try {
        await run.connect();
        const answer = await run.mounts();
        assert.equal(answer.state, 'started');
        assert.match(answer.note ?? '', new RegExp(`port ${port} is in use .*listens on a free port instead`));
        assert.notEqual(Number(new URL(answer.url!).port), port);
        assert.equal((await run.call<FetchAnswer>('fetch', { path: '/' })).body, 'home');
      } finally {
        await run.close();
        taken.close();
      }
    });

    it('answers with an invalid mounts.json: nothing serves, list_mounts says why, get_problems where', async () => {
      const dir = makeWorkspace({ 'mounts.json': '{ "port": 0, "mounts": [ { "prefix": "/x" } ] }' });
      const run = new McpRun(dir);
      try {
        await run.connect();
        const answer = await run.mounts();
        assert.equal(answer.state, 'stopped');
        assert.match((answer as { lastError?: string }).lastError ?? '', /1 problem/);
        const { problems } = await run.call<{ problems: { line: number; column: number; field: string }[] }>('get_problems');
        assert.deepEqual(problems.map(({ line, column, field }) => ({ line, column, field })), [{ line: 1, column: 26, field: 'mounts[0]' }]);
        assert.match(await run.refused('fetch', { path: '/' }), /the server is stopped, so nothing answers/);
      } finally {
        await run.close();
      }
    });
  });

  it('exits 0 by itself when its client closes stdin, with every app process gone', async () => {
    const tag = `${TAG}-exit`;
    const dir = makeWorkspace({ ...WORKSPACE, 'mounts.json': WORKSPACE['mounts.json'].replace(TAG, tag) });
    const child = spawn(process.execPath, [CLI, 'mcp', dir], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (code, signal) => resolve([code, signal])));
    const send = (message: object) => child.stdin.write(`${JSON.stringify(message)}\n`);
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    await waitFor('the initialize answer', () => stdout.includes('"id":1'), 15_000);
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    // The command's process runs once the engine serves; initialize is answered after the start.
    await waitFor("the command's process", () => taggedProcesses(tag).length > 0, 15_000);
    const pids = taggedProcesses(tag);
    child.stdin.end();
    assert.deepEqual(await exited, [0, null]);
    assert.deepEqual(taggedProcesses(tag), [], `no process of ${pids.join(', ')} is left`);
    // Every line on stdout is a JSON-RPC message.
    for (const line of stdout.trim().split('\n')) assert.equal(JSON.parse(line).jsonrpc, '2.0');
  });
});
