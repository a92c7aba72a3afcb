// Restricted Mode (untrusted workspace): static and proxy mounts serve, module and command mounts
// are refused with the reason (no process is started), and the server still starts.
import * as assert from 'node:assert';
import * as vscode from 'vscode';
import { firstFolder, get, getApi, waitFor } from '../helpers';

describe('Restricted Mode', () => {
  after(async () => {
    await vscode.commands.executeCommand('mounts.stop', firstFolder().uri);
  });

  it('runs in an untrusted workspace', async () => {
    assert.strictEqual(vscode.workspace.isTrusted, false);
    await getApi();
  });

  it('shows module and command mounts refused before starting', async () => {
    const api = await getApi();
    const items = api.tree.getChildren().map((node) => api.tree.getTreeItem(node));
    assert.deepStrictEqual(
      items.map((item) => item.contextValue),
      ['mount.static.revealable.stopped', 'mount.module.reloadable.revealable.refused', 'mount.static.revealable.stopped', 'mount.proxy.stopped', 'mount.command.reloadable.refused'],
    );
    assert.strictEqual(items[1].description, '/hello → apps/hello.js · refused in Restricted Mode');
    assert.strictEqual(items[4].description, '/cmd → node server.js · refused in Restricted Mode');
  });

  it('serves static mounts and refuses module and command mounts with the reason', async () => {
    const api = await getApi();
    assert.strictEqual(await vscode.commands.executeCommand('mounts.start'), true);
    assert.strictEqual(api.state(), 'serving');
    const site = await get(api.urlOf('/')!);
    assert.strictEqual(site.status, 200);
    assert.match(site.body, /static site/);
    const hello = await get(api.urlOf('/hello')!);
    assert.strictEqual(hello.status, 503);
    assert.match(hello.body, /trust the workspace/);
    const cmd = await get(api.urlOf('/cmd')!);
    assert.strictEqual(cmd.status, 503);
    assert.match(cmd.body, /trust the workspace/);
    assert.strictEqual(api.mounts().find((mount) => mount.id === '/cmd')?.status.pid, undefined, 'no process was started');
    await waitFor('the tree to show the module refused while serving', () =>
      api.tree.getChildren().map((node) => api.tree.getTreeItem(node).contextValue).join() ===
        'mount.static.revealable.serving,mount.module.reloadable.revealable.refused,mount.static.revealable.serving,mount.proxy.serving,mount.command.reloadable.refused',
    );
    const tooltip = (api.tree.getTreeItem(api.tree.getChildren()[1]).tooltip as vscode.MarkdownString).value;
    assert.match(tooltip, /refused in Restricted Mode/);
  });
});
