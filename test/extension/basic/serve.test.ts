// Start serves every mount over real HTTP; the tree, status bar and URLs follow.
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { appendPath } from '../../../src/ui/urls';
import { firstFolder, get, getApi, waitFor } from '../helpers';

// The extension host's own handlers, before mocha adds the one that fails the running test.
const hostUncaughtHandlers = new Set(process.listeners('uncaughtException'));

describe('serving', () => {
  after(async () => {
    await vscode.commands.executeCommand('mounts.stop', firstFolder().uri);
  });

  it('Start serves every mount', async () => {
    const api = await getApi();
    const states: string[] = [];
    const subscription = api.onDidChangeState(({ state }) => states.push(state));
    try {
      assert.strictEqual(await vscode.commands.executeCommand('mounts.start'), true);
    } finally {
      subscription.dispose();
    }
    assert.deepStrictEqual(states, ['starting', 'serving']);
    assert.strictEqual(api.state(), 'serving');

    const site = await get(api.urlOf('/')!);
    assert.strictEqual(site.status, 200);
    assert.match(site.body, /static site/);
    const hello = await get(`${api.urlOf('/hello')}x?y=1`);
    assert.strictEqual(hello.status, 200);
    assert.strictEqual(hello.body, 'hello from /hello /x?y=1');
    const docs = await get(`${api.urlOf('/docs')}readme.txt`);
    assert.strictEqual(docs.body.trim(), 'docs readme');
    // The proxy's upstream is down on purpose: the proxy mount itself answers, with 502.
    assert.strictEqual((await get(api.urlOf('/api')!)).status, 502);
  });

  it('shows the mounts serving in the tree, with a tooltip', async () => {
    const api = await getApi();
    await waitFor('the tree to show serving', () =>
      api.tree.getChildren().every((node) => api.tree.getTreeItem(node).contextValue?.endsWith('.serving')),
    );
    const items = api.tree.getChildren().map((node) => api.tree.getTreeItem(node));
    assert.deepStrictEqual(
      items.map((item) => item.contextValue),
      ['mount.static.revealable.serving', 'mount.module.reloadable.revealable.serving', 'mount.static.revealable.serving', 'mount.proxy.serving', 'mount.command.reloadable.serving'],
    );
    assert.strictEqual(items[1].description, '/hello → apps/hello.js · serving');
    const tooltip = (items[1].tooltip as vscode.MarkdownString).value;
    assert.ok(tooltip.includes(api.urlOf('/hello')!), tooltip);
    assert.match(tooltip, /module mount/);
    assert.match(tooltip, /Requests: [1-9]/);
  });

  it('shows the port and the number of mounts in the status bar', async () => {
    const api = await getApi();
    const port = api.engines()[0].engine.port;
    await waitFor('the status bar to show serving', () => api.statusBar().state === 'serving');
    assert.ok(api.statusBar().text.endsWith(`Mounts :${port} (5 mounts)`), api.statusBar().text);
  });

  it('copies a browser URL built from asExternalUri with the mount path kept', async () => {
    const api = await getApi();
    const port = api.engines()[0].engine.port;
    const helloNode = api.tree.getChildren()[1];
    const url = await vscode.commands.executeCommand<string>('mounts.copyUrl', helloNode);
    assert.strictEqual(await vscode.env.clipboard.readText(), url);
    assert.ok(url);
    const copied = new URL(url);
    if (vscode.env.uiKind === vscode.UIKind.Web) {
      // code-server maps the server to its own origin, /proxy/<port>/, and drops the path: the
      // mount's path comes after the proxy's, not in place of it.
      assert.strictEqual(copied.pathname, `/proxy/${port}/hello/`);
      assert.notStrictEqual(Number(copied.port), port, 'the browser goes through code-server, not to the server itself');
      assert.notStrictEqual(url, api.urlOf('/hello'));
    } else {
      // Desktop VS Code (the electron runner) hands a loopback URL back as it is.
      assert.strictEqual(url, api.urlOf('/hello'));
    }
    // In this host the external URL goes through code-server's port proxy: it must still reach the app.
    const response = await get(url);
    assert.strictEqual(response.status, 200);
    assert.match(response.body, /^hello from \/hello/);
  });

  it('appendPath puts the mount path after the forwarding path, keeping the query', () => {
    const cases: [string, string, string][] = [
      ['http://127.0.0.1:8443/proxy/4000/', '/hello/', 'http://127.0.0.1:8443/proxy/4000/hello/'],
      ['http://127.0.0.1:8443/proxy/4000', '/hello/', 'http://127.0.0.1:8443/proxy/4000/hello/'],
      ['http://127.0.0.1:4000/', '/', 'http://127.0.0.1:4000/'],
      ['https://host.example/p/?token=1', '/a/b/', 'https://host.example/p/a/b/?token=1'],
    ];
    for (const [base, pathname, expected] of cases) {
      assert.strictEqual(appendPath(vscode.Uri.parse(base), pathname).toString(true), expected, `${base} + ${pathname}`);
    }
  });

  it('hot-reloads a module app when its file changes', async () => {
    const api = await getApi();
    const file = path.join(firstFolder().uri.fsPath, 'apps', 'hello.js');
    const original = fs.readFileSync(file, 'utf8');
    try {
      fs.writeFileSync(file, original.replace('hello from', 'reloaded from'));
      await waitFor('the new code to answer', async () => (await get(api.urlOf('/hello')!)).body.startsWith('reloaded from'));
    } finally {
      fs.writeFileSync(file, original);
    }
    await waitFor('the old code to answer again', async () => (await get(api.urlOf('/hello')!)).body.startsWith('hello from'));
  });

  it('an app that throws from a timer leaves the extension host running and the folder in error with the reason; Restart serves again', async () => {
    const api = await getApi();
    const file = path.join(firstFolder().uri.fsPath, 'apps', 'hello.js');
    const original = fs.readFileSync(file, 'utf8');
    const crashing = `module.exports = (req, res) => {
  if (req.url === '/crash-later') setTimeout(() => { throw new Error('thrown from an app timer'); }, 10);
  res.end('crash scheduled from ' + req.baseUrl);
};`;
    // Let a throw reach the extension host as it would outside a test run: were it to reach the host
    // at all, nothing here would catch it.
    const mochaHandlers = process.listeners('uncaughtException').filter((handler) => !hostUncaughtHandlers.has(handler));
    for (const handler of mochaHandlers) process.off('uncaughtException', handler);
    try {
      fs.writeFileSync(file, crashing);
      await waitFor('the crashing code to answer', async () => (await get(`${api.urlOf('/hello')}crash-later`)).body === 'crash scheduled from /hello');
      await waitFor('the folder to be in error', () => api.state() === 'error');
      const reason = "an app's uncaught error ended the engine process: Error: thrown from an app timer";
      assert.strictEqual(api.engines()[0].engine.lastError, reason);
      assert.ok(api.statusBar().tooltip.includes(reason), api.statusBar().tooltip);
      // The error reaches the Mounts log with its stack, not only the extension host's own log.
      const logged = api.recentLog().find((line) => line.includes('uncaught error in an app of'));
      assert.ok(logged, `no log line for the app's error in:\n${api.recentLog().slice(-20).join('\n')}`);
      assert.match(logged, /^\[error\] uncaught error in an app of \S+ \(it ended the engine process; Restart serves again\): Error: thrown from an app timer/);
      assert.match(logged, /apps[/\\]hello\.js:2/);
    } finally {
      for (const handler of mochaHandlers) process.on('uncaughtException', handler);
      fs.writeFileSync(file, original);
    }
    // This code runs in the extension host itself: reaching it after the throw shows the host lived.
    assert.strictEqual(await vscode.commands.executeCommand('mounts.restart', firstFolder().uri), true);
    assert.strictEqual(api.state(), 'serving');
    assert.ok((await get(api.urlOf('/hello')!)).body.startsWith('hello from'));
    assert.strictEqual((await get(`${api.urlOf('/docs')}readme.txt`)).body.trim(), 'docs readme');
  });
});
