// The agent tools in the editor: each is in vscode.lm.tools, and vscode.lm.invokeTool answers the
// folder's real state (no model involved). Control tools ask the user in a modal dialog first when
// invoked that way, which a test cannot answer: their confirmation is checked through
// prepareInvocation, and they are run through the implementation the extension registered (what
// VS Code calls once the user confirms). Where the editor takes MCP server definitions (1.101+),
// the one offered really runs `mounts mcp` for the folder.
import * as assert from 'node:assert';
import { spawn } from 'node:child_process';
import * as vscode from 'vscode';
import { firstFolder, get, getApi, waitFor } from '../helpers';

const NAMES = ['list_mounts', 'get_logs', 'fetch', 'get_problems', 'restart_mount', 'start', 'stop'].map((name) => `mounts_${name}`);
const none = new vscode.CancellationTokenSource().token;

interface Mount {
  name: string;
  state: string;
  url?: string;
  pid?: number;
}

function textOf(result: vscode.LanguageModelToolResult): string {
  return result.content.map((part) => (part instanceof vscode.LanguageModelTextPart ? part.value : '')).join('');
}

/** A tool through the editor's own API, as an agent in chat calls it. */
async function invoke<T>(name: string, input: object = {}): Promise<T> {
  return JSON.parse(textOf(await vscode.lm.invokeTool(name, { input, toolInvocationToken: undefined }, none))) as T;
}

/** A control tool through the implementation the extension registered, with what it asks the user. */
async function control<T>(name: string, input: Record<string, unknown> = {}): Promise<{ answer: T; asked?: vscode.LanguageModelToolConfirmationMessages }> {
  const tool = (await getApi()).agentTools.registered.get(name);
  assert.ok(tool, `${name} is registered`);
  const prepared = await tool.prepareInvocation?.({ input }, none);
  const result = await tool.invoke({ input, toolInvocationToken: undefined }, none);
  assert.ok(result, `${name} answered`);
  return { answer: JSON.parse(textOf(result)) as T, asked: prepared?.confirmationMessages };
}

describe('agent tools', () => {
  before(async () => {
    assert.strictEqual(await vscode.commands.executeCommand('mounts.start', firstFolder().uri), true);
    const api = await getApi();
    await waitFor('the command mount to be ready', () => api.mounts().find((mount) => mount.id === '/cmd')?.status.state === 'ready');
  });

  after(async () => {
    await vscode.commands.executeCommand('mounts.stop', firstFolder().uri);
  });

  it('are language model tools of the editor', () => {
    // Finalized in VS Code 1.95: a host without them cannot prove anything here, so it fails.
    assert.ok(vscode.lm && Array.isArray(vscode.lm.tools) && typeof vscode.lm.invokeTool === 'function', `VS Code ${vscode.version} has no vscode.lm.tools / invokeTool`);
    const ours = vscode.lm.tools.filter((tool) => tool.name.startsWith('mounts_'));
    assert.deepStrictEqual(ours.map((tool) => tool.name).sort(), [...NAMES].sort());
    const fetch = ours.find((tool) => tool.name === 'mounts_fetch');
    assert.deepStrictEqual((fetch?.inputSchema as { required?: string[] }).required, ['path']);
  });

  it('list_mounts answers the mounts the editor shows, with their URLs and states', async () => {
    const api = await getApi();
    const answer = await invoke<{ state: string; url: string; mounts: Mount[] }>('mounts_list_mounts');
    assert.strictEqual(answer.state, 'started');
    assert.strictEqual(answer.url, api.engines()[0].engine.url);
    assert.deepStrictEqual(
      answer.mounts.map((mount) => [mount.name, mount.state, mount.url]),
      api.mounts().map((mount) => [mount.spec.name, mount.status.state, api.urlOf(mount.id)]),
    );
    assert.strictEqual(answer.mounts.find((mount) => mount.name === 'cmd')?.pid, api.mounts().find((mount) => mount.id === '/cmd')?.status.pid);
  });

  it('fetch answers what HTTP answers', async () => {
    const api = await getApi();
    for (const path of ['/hello/x?y=1', '/', '/cmd/z', '/docs/readme.txt']) {
      const fetched = await invoke<{ status: number; body: string }>('mounts_fetch', { path });
      const direct = await get(`${api.engines()[0].engine.url!.slice(0, -1)}${path}`);
      assert.strictEqual(fetched.status, direct.status, path);
      assert.strictEqual(fetched.body, direct.body, path);
    }
  });

  it("get_logs answers a command's output, tagged with its mount", async () => {
    const api = await getApi();
    const port = api.mounts().find((mount) => mount.id === '/cmd')?.status.port;
    const logs = await waitFor('the command to have logged', async () => {
      const answer = await invoke<{ lines: { source?: string; message: string }[] }>('mounts_get_logs', { mount: 'cmd' });
      return answer.lines.some((line) => line.message.startsWith(`cmd server listening on port ${port}`)) ? answer : undefined;
    });
    assert.ok(logs.lines.every((line) => line.source === 'cmd'), JSON.stringify(logs.lines));
  });

  it('get_problems reads the folder\'s mounts.json', async () => {
    const answer = await invoke<{ configFile: string; problems: unknown[] }>('mounts_get_problems');
    assert.deepStrictEqual(answer, { configFile: (await getApi()).engines()[0].configFile.fsPath, problems: [] });
  });

  it('bad input is an error that says what is wrong', async () => {
    await assert.rejects(invoke('mounts_get_logs', { mount: 'nope' }), /no mount named "nope"/);
    await assert.rejects(invoke('mounts_fetch', { path: 'http://example.com/' }), /must start with "\/"/);
    await assert.rejects(invoke('mounts_fetch', { path: '/', folder: 'elsewhere' }), /no workspace folder "elsewhere"/);
  });

  it('restart_mount asks the user, then restarts the command', async () => {
    const api = await getApi();
    const before = api.mounts().find((mount) => mount.id === '/cmd')?.status.pid;
    const { answer, asked } = await control<{ mount: Mount }>('mounts_restart_mount', { mount: 'cmd' });
    assert.match(asked?.title ?? '', /Restart an app "cmd"\?/);
    assert.strictEqual(answer.mount.state, 'ready');
    assert.notStrictEqual(answer.mount.pid, before);
    await waitFor('the editor to show the new process', () => api.mounts().find((mount) => mount.id === '/cmd')?.status.pid === answer.mount.pid);
  });

  it('stop and start ask the user, then stop and start the folder\'s server', async () => {
    const api = await getApi();
    const stopped = await control<{ state: string }>('mounts_stop');
    assert.ok(stopped.asked?.title, 'stop asks first');
    assert.strictEqual(stopped.answer.state, 'stopped');
    assert.strictEqual(api.state(), 'stopped');
    const started = await control<{ state: string; url: string }>('mounts_start');
    assert.ok(started.asked?.title, 'start asks first');
    assert.strictEqual(started.answer.state, 'started');
    assert.strictEqual((await get(`${started.answer.url}hello/`)).status, 200);
  });

  it('offers `mounts mcp` for the folder where the editor takes MCP servers, and nothing where it does not', async () => {
    const api = await getApi();
    const [major, minor] = vscode.version.split('.').map(Number);
    if (major === 1 && minor < 101) {
      // Before 1.101 the API is not released (1.100 has an early form that refuses our provider):
      // the extension works without it, and says so in its log.
      assert.strictEqual(api.agentTools.mcpServers, undefined);
      assert.ok(api.recentLog().some((line) => line.includes('MCP server definitions are not offered')), 'the log says why');
      return;
    }
    assert.ok(api.agentTools.mcpServers, `VS Code ${vscode.version} takes MCP servers, and none is offered`);
    const [definition] = await api.agentTools.mcpServers();
    const configFile = api.engines()[0].configFile.fsPath;
    assert.deepStrictEqual(definition.args.slice(1), ['mcp', configFile, '--allow-control']);
    // It runs: the server answers initialize over stdio, and ends when stdin closes.
    const child = spawn(definition.command, definition.args, { env: { ...process.env, ...(definition.env as Record<string, string>) }, stdio: ['pipe', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'test', version: '1' } } })}\n`);
    await waitFor('the MCP server to answer initialize', () => stdout.includes('"id":1'), 20_000);
    assert.strictEqual((JSON.parse(stdout.split('\n')[0]) as { result: { serverInfo: { name: string } } }).result.serverInfo.name, 'mounts');
    child.stdin.end();
    assert.strictEqual(await exited, 0);
  });
});
