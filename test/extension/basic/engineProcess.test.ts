// The engine runs in its own process: apps never run in the extension host, an app that blocks
// does not block the host, an app that ends its process leaves the folder in error with Restart,
// mounts.node names a Node that cannot serve, and mounts.debug attaches the host's JavaScript
// debugger (js-debug, which the host ships) so that a breakpoint in a module app pauses a request.
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { firstFolder, get, getApi, isAlive, waitFor, type Response } from '../helpers';

/** Line 5 (index 4) is where the debugger test's breakpoint goes. */
const APP = `module.exports = (req, res) => {
  if (req.url === '/pid') return res.end(String(process.pid));
  if (req.url === '/busy') { const until = Date.now() + 3000; while (Date.now() < until); return res.end('busy done'); }
  if (req.url === '/exit') { res.end('bye', () => process.exit(1)); return; }
  const greeting = 'in the engine process';
  res.end(greeting + ' ' + req.url);
};
`;
const BREAKPOINT_LINE = 4;

describe('the engine process', () => {
  const file = path.join(firstFolder().uri.fsPath, 'apps', 'hello.js');
  let original: string;

  before(async () => {
    const api = await getApi();
    original = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, APP);
    assert.strictEqual(await vscode.commands.executeCommand('mounts.start', firstFolder().uri), true);
    await waitFor('the test app to answer', async () => (await get(`${api.urlOf('/hello')}x`)).body === 'in the engine process /x');
  });

  after(async () => {
    await vscode.commands.executeCommand('mounts.stop', firstFolder().uri);
    fs.writeFileSync(file, original);
    await vscode.workspace.getConfiguration('mounts').update('node', undefined, vscode.ConfigurationTarget.Global);
  });

  it("runs a module app in its own process, not the extension host's, on the Node it names", async () => {
    const api = await getApi();
    const engine = api.engines()[0].engine;
    const pid = Number((await get(`${api.urlOf('/hello')}pid`)).body);
    assert.notStrictEqual(pid, process.pid);
    assert.strictEqual(pid, engine.pid);
    assert.ok(isAlive(pid));
    const runtime = engine.runtime!;
    assert.ok(runtime.version.startsWith('v'), runtime.version);
    assert.ok(
      api.recentLog().some((line) => line.includes(`engine process ${pid} on Node ${runtime.version} (${runtime.execPath})`)),
      'the log says which Node serves',
    );
    assert.ok(api.statusBar().tooltip.includes(`on Node ${runtime.version}`), api.statusBar().tooltip);
    // The app was loaded and answered, yet the extension host never loaded a file of the workspace.
    const workspace = firstFolder().uri.fsPath + path.sep;
    assert.deepStrictEqual(Object.keys(require.cache).filter((loaded) => loaded.startsWith(workspace)), []);
  });

  it('keeps the extension host responsive while an app busy-loops for 3 s', async () => {
    const api = await getApi();
    // The same measure over a quiet second first: on a loaded machine it says what the host suffers anyway.
    const quiet = monitorEventLoopDelay({ resolution: 10 });
    quiet.enable();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    quiet.disable();
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const started = Date.now();
    let response: Response;
    try {
      response = await get(`${api.urlOf('/hello')}busy`);
    } finally {
      delay.disable();
    }
    assert.strictEqual(response.body, 'busy done');
    assert.ok(Date.now() - started >= 3000, 'the app did block its own process for 3 s');
    const maxMs = delay.max / 1e6;
    assert.ok(maxMs < 200, `the extension host's event loop was delayed ${maxMs.toFixed(0)} ms (${(quiet.max / 1e6).toFixed(0)} ms in a quiet second before)`);
    assert.strictEqual(api.state(), 'serving');
  });

  it('mounts.debug attaches the debugger: a breakpoint in a module app pauses a request; ending the session leaves the server serving', async function () {
    // Attaching js-debug and binding a breakpoint takes seconds on a loaded machine.
    this.timeout(90_000);
    const api = await getApi();
    const breakpoint = new vscode.SourceBreakpoint(new vscode.Location(vscode.Uri.file(file), new vscode.Position(BREAKPOINT_LINE, 0)));
    vscode.debug.addBreakpoints([breakpoint]);
    let verified = false;
    type Message = { type: string; event?: string; command?: string; body?: { breakpoint?: { verified: boolean }; breakpoints?: { verified: boolean }[] } };
    const tracker = vscode.debug.registerDebugAdapterTrackerFactory('*', {
      createDebugAdapterTracker: () => ({
        onDidSendMessage: (message: Message) => {
          if (message.type === 'event' && message.event === 'breakpoint' && message.body?.breakpoint?.verified) verified = true;
          if (message.type === 'response' && message.command === 'setBreakpoints' && message.body?.breakpoints?.some((b) => b.verified)) verified = true;
        },
      }),
    });
    // The editor's own signal that a thread paused: its focused stack frame.
    const stopped = new Promise<vscode.DebugStackFrame>((resolve) => {
      const subscription = vscode.debug.onDidChangeActiveStackItem((item) => {
        if (item instanceof vscode.DebugStackFrame) {
          subscription.dispose();
          resolve(item);
        }
      });
    });
    try {
      const before = api.engines()[0].engine.pid;
      assert.strictEqual(await vscode.commands.executeCommand('mounts.debug', firstFolder().uri), true);
      const engine = api.engines()[0].engine;
      assert.notStrictEqual(engine.pid, before, 'the engine process was restarted with the inspector');
      assert.match(engine.inspectorUrl ?? '', /^ws:\/\/127\.0\.0\.1:\d+\//);
      const session = await waitFor('a debug session', () => vscode.debug.activeDebugSession);
      await waitFor('the debugger to bind the breakpoint', () => verified);

      let answered = false;
      const request = get(`${api.urlOf('/hello')}paused`, {}, 60_000).then((response) => {
        answered = true;
        return response;
      });
      const frame = await stopped;
      assert.strictEqual(answered, false, 'the request is paused at the breakpoint');
      const frames = await frame.session.customRequest('stackTrace', { threadId: frame.threadId });
      const top = (frames as { stackFrames: { line: number; source?: { path?: string } }[] }).stackFrames[0];
      assert.strictEqual(top.line, BREAKPOINT_LINE + 1);
      assert.strictEqual(path.basename(top.source?.path ?? ''), 'hello.js');
      await frame.session.customRequest('continue', { threadId: frame.threadId });
      assert.strictEqual((await request).body, 'in the engine process /paused');

      const ended = new Promise<void>((resolve) => vscode.debug.onDidTerminateDebugSession(() => resolve()));
      await vscode.debug.stopDebugging(session);
      await ended;
      vscode.debug.removeBreakpoints([breakpoint]);
      assert.strictEqual((await get(`${api.urlOf('/hello')}after`)).body, 'in the engine process /after');
      assert.strictEqual(api.state(), 'serving');
    } finally {
      tracker.dispose();
      vscode.debug.removeBreakpoints([breakpoint]);
    }
  });

  it('an app that calls process.exit(1) leaves the host running and the folder in error with the reason; Restart serves again', async () => {
    const api = await getApi();
    const pid = api.engines()[0].engine.pid!;
    await get(`${api.urlOf('/hello')}exit`).catch(() => undefined);
    await waitFor('the folder to be in error', () => api.state() === 'error');
    assert.strictEqual(isAlive(pid), false);
    assert.strictEqual(api.engines()[0].engine.lastError, 'the engine process exited with code 1');
    assert.match(api.statusBar().tooltip, /error: the engine process exited with code 1/);
    assert.ok(api.recentLog().some((line) => line.startsWith('[error] the engine process exited with code 1')));
    // This test runs in the extension host: getting here shows the host lived.
    assert.strictEqual(await vscode.commands.executeCommand('mounts.restart', firstFolder().uri), true);
    assert.strictEqual(api.state(), 'serving');
    assert.strictEqual((await get(`${api.urlOf('/hello')}again`)).body, 'in the engine process /again');
  });

  it("the tree's request counter is exact", async () => {
    const api = await getApi();
    await vscode.commands.executeCommand('mounts.restart', firstFolder().uri);
    for (let i = 0; i < 7; i++) assert.strictEqual((await get(`${api.urlOf('/docs')}readme.txt`)).status, 200);
    const docs = () => api.tree.getChildren().map((node) => api.tree.getTreeItem(node)).find((item) => item.label === '/docs')!;
    await waitFor('the tree to count 7 requests', () => (docs().tooltip as vscode.MarkdownString).value.includes('Requests: 7  \n'));
  });

  it('mounts.node naming a missing file: Start fails with an error that names the setting', async function () {
    this.timeout(60_000);
    const api = await getApi();
    await vscode.commands.executeCommand('mounts.stop', firstFolder().uri);
    const missing = path.join(firstFolder().uri.fsPath, 'no-such-node');
    await vscode.workspace.getConfiguration('mounts').update('node', missing, vscode.ConfigurationTarget.Global);
    assert.strictEqual(await vscode.commands.executeCommand('mounts.start', firstFolder().uri), false);
    assert.strictEqual(api.state(), 'error');
    const expected = `The setting mounts.node is "${missing}", which was not found. Set mounts.node to a Node 20 or later executable, or clear it.`;
    assert.strictEqual(api.engines()[0].engine.lastError, expected);
    assert.ok(api.recentLog().includes(`[error] start failed: ${expected}`), api.recentLog().slice(-5).join('\n'));
    await vscode.workspace.getConfiguration('mounts').update('node', undefined, vscode.ConfigurationTarget.Global);
    assert.strictEqual(await vscode.commands.executeCommand('mounts.start', firstFolder().uri), true);
  });
});
