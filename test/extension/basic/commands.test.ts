// The commands a person runs from the palette, the tree or the status bar menu, each checked by
// what it visibly does: the URL handed to the browser, the editor and selection it opens, the log
// it shows, the server after a restart, the app after a reload.
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TreeNode } from '../../../src/ui/treeItems';
import { firstFolder, get, getApi, isListening, waitFor } from '../helpers';
import { Stubs } from '../stubs';

async function mountNode(name: string): Promise<TreeNode> {
  const api = await getApi();
  const node = api.tree.getChildren().find((candidate) => api.tree.getTreeItem(candidate).label === name);
  assert.ok(node, `the tree lists ${name}`);
  return node;
}

async function activeEditorOf(fsPath: string): Promise<vscode.TextEditor> {
  return waitFor(`${fsPath} in the active editor`, () => {
    const editor = vscode.window.activeTextEditor;
    return editor?.document.uri.fsPath === fsPath ? editor : undefined;
  });
}

describe('commands', () => {
  const stubs = new Stubs();

  before(async () => {
    assert.strictEqual(await vscode.commands.executeCommand('mounts.start', firstFolder().uri), true);
  });

  beforeEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  afterEach(() => stubs.restore());

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('mounts.stop', firstFolder().uri);
  });

  it('Open in Browser opens the server root, or a mount, at its browser URL', async () => {
    const api = await getApi();
    const port = api.engines()[0].engine.port;
    const opened = stubs.replace(vscode.env, 'openExternal', () => Promise.resolve(true));
    const root = await vscode.commands.executeCommand<string>('mounts.openInBrowser');
    const hello = await vscode.commands.executeCommand<string>('mounts.openInBrowser', await mountNode('hello'));
    assert.deepStrictEqual(
      opened.map(([uri]) => (uri as vscode.Uri).toString(true)),
      [root, hello],
    );
    if (vscode.env.uiKind === vscode.UIKind.Web) {
      assert.strictEqual(new URL(root).pathname, `/proxy/${port}/`);
      assert.strictEqual(new URL(hello).pathname, `/proxy/${port}/hello/`);
    } else {
      assert.strictEqual(root, api.engines()[0].engine.url);
      assert.strictEqual(hello, api.urlOf('/hello'));
    }
    assert.match((await get(hello)).body, /^hello from \/hello/);
  });

  it('Open mounts.json opens it in the active editor', async () => {
    const api = await getApi();
    await vscode.commands.executeCommand('mounts.openConfig');
    await activeEditorOf(api.engines()[0].configFile.fsPath);
  });

  it('Show Log shows the Mounts output channel', async () => {
    const isMountsLog = (uri: vscode.Uri) => uri.scheme === 'output' && uri.path.includes('Mounts');
    assert.ok(!vscode.window.visibleTextEditors.some((editor) => isMountsLog(editor.document.uri)), 'the log is not showing yet');
    await vscode.commands.executeCommand('mounts.showLog');
    await waitFor(
      'the Mounts log to show',
      () => vscode.window.visibleTextEditors.some((editor) => isMountsLog(editor.document.uri)),
      5000,
    ).catch((error: Error) => {
      const shown = vscode.window.visibleTextEditors.map((editor) => editor.document.uri.toString());
      const open = vscode.workspace.textDocuments.map((document) => document.uri.toString());
      throw new Error(`${error.message}; visible: ${shown.join(', ')}; open: ${open.join(', ')}`);
    });
  });

  it('Restart stops and starts again, and the mounts answer on the new port', async () => {
    const api = await getApi();
    const oldPort = api.engines()[0].engine.port!;
    const states: string[] = [];
    const subscription = api.onDidChangeState(({ state }) => states.push(state));
    try {
      assert.strictEqual(await vscode.commands.executeCommand('mounts.restart'), true);
    } finally {
      subscription.dispose();
    }
    assert.deepStrictEqual(states, ['stopping', 'stopped', 'starting', 'serving']);
    const newPort = api.engines()[0].engine.port!;
    // mounts.json says port 0: each start takes a free port, which may or may not be the old one.
    if (newPort !== oldPort) assert.strictEqual(await isListening(oldPort), false, `the old port ${oldPort} is free`);
    assert.strictEqual(api.urlOf('/hello'), `http://localhost:${newPort}/hello/`);
    assert.strictEqual((await get(`${api.urlOf('/hello')}x`)).body, 'hello from /hello /x');
    assert.match((await get(api.urlOf('/cmd')!)).body, /^cmd pid \d+ prefix \/cmd url \/$/);
  });

  it('Reveal Module or Folder opens a module mount\'s file', async () => {
    await vscode.commands.executeCommand('mounts.revealTarget', await mountNode('hello'));
    await activeEditorOf(path.join(firstFolder().uri.fsPath, 'apps', 'hello.js'));
  });

  it('Reveal Module or Folder on a proxy opens its entry in mounts.json', async () => {
    const api = await getApi();
    await vscode.commands.executeCommand('mounts.revealTarget', await mountNode('api'));
    const editor = await activeEditorOf(api.engines()[0].configFile.fsPath);
    assert.strictEqual(editor.document.getText(editor.selection), '{ "prefix": "/api", "name": "api", "proxy": "http://127.0.0.1:9" }');
  });

  it('Reveal in mounts.json selects the mount\'s entry', async () => {
    const api = await getApi();
    await vscode.commands.executeCommand('mounts.revealInConfig', await mountNode('hello'));
    const editor = await activeEditorOf(api.engines()[0].configFile.fsPath);
    const entry = '{ "prefix": "/hello", "name": "hello", "module": "apps/hello.js" }';
    assert.strictEqual(editor.document.getText(editor.selection), entry);
    assert.strictEqual(editor.selection.start.line, editor.document.positionAt(editor.document.getText().indexOf(entry)).line);
  });

  it('Reload App without a target asks which module or command app', async () => {
    const calls = stubs.replace(vscode.window, 'showQuickPick', () => Promise.resolve(undefined));
    await vscode.commands.executeCommand('mounts.reloadApp');
    assert.strictEqual(calls.length, 1);
    const [items, options] = calls[0] as [vscode.QuickPickItem[], vscode.QuickPickOptions];
    assert.deepStrictEqual(
      items.map((item) => [item.label, item.description]),
      [
        ['hello', '/hello · module'],
        ['cmd', '/cmd · command'],
      ],
    );
    assert.strictEqual(options.placeHolder, 'Reload which app?');
  });

  it('Reload App reloads a module mount that its file watching would not', async () => {
    const api = await getApi();
    const apps = path.join(firstFolder().uri.fsPath, 'apps');
    const file = path.join(apps, 'hello.js');
    const greeting = path.join(apps, 'greeting.txt');
    const original = fs.readFileSync(file, 'utf8');
    const hello = () => get(api.urlOf('/hello')!).then((response) => response.body);
    try {
      // Read once, when the module loads: a change to the text file reloads nothing by itself.
      fs.writeFileSync(greeting, 'first');
      fs.writeFileSync(file, `const text = require('node:fs').readFileSync(__dirname + '/greeting.txt', 'utf8');
module.exports = (req, res) => res.end('greeting: ' + text);`);
      // Reloading waits on the editor's file watcher, which two hosts at once can slow to seconds.
      await waitFor('the module reading greeting.txt to answer', async () => (await hello()) === 'greeting: first', 30_000);
      fs.writeFileSync(greeting, 'second');
      // What the file watcher does with the change, asked directly rather than after a sleep: the
      // engine reloads no app for it, since no module loaded greeting.txt.
      const engine = api.engines()[0].engine;
      assert.deepStrictEqual(await engine.fileChanged(greeting), [], 'greeting.txt alone reloads no app');
      assert.strictEqual(await hello(), 'greeting: first', 'greeting.txt alone does not reload the app');
      await vscode.commands.executeCommand('mounts.reloadApp', await mountNode('hello'));
      assert.strictEqual(await hello(), 'greeting: second');
      assert.ok(api.recentLog().includes('[info] reloaded /hello'), api.recentLog().slice(-10).join('\n'));
    } finally {
      fs.writeFileSync(file, original);
      fs.rmSync(greeting, { force: true });
    }
    await waitFor('the old code to answer again', async () => (await hello()).startsWith('hello from'));
  });
});
