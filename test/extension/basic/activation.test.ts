// Activation on a workspace with mounts.json: the config is read and shown, nothing is started.
import * as assert from 'node:assert';
import * as vscode from 'vscode';
import { EXTENSION_ID, firstFolder, getApi, waitFor } from '../helpers';

describe('activation', () => {
  it('activates on a workspace that contains mounts.json', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension);
    // workspaceContains activates it without anyone asking.
    await waitFor('the extension to activate by itself', () => extension.isActive);
    const api = await getApi();
    assert.strictEqual(api.version, 1);
  });

  it('reads the config but starts nothing (autoStart is off)', async () => {
    const api = await getApi();
    const engines = api.engines();
    assert.strictEqual(engines.length, 1);
    assert.strictEqual(engines[0].folder.toString(), firstFolder().uri.toString());
    assert.strictEqual(api.state(), 'stopped');
    assert.strictEqual(engines[0].engine.port, undefined);
    assert.deepStrictEqual(
      api.mounts().map((mount) => mount.id),
      ['/', '/hello', '/docs', '/api', '/cmd'],
    );
  });

  it('shows every mount in the tree, not started', async () => {
    const api = await getApi();
    const items = api.tree.getChildren().map((node) => api.tree.getTreeItem(node));
    assert.deepStrictEqual(
      items.map((item) => [item.label, item.contextValue]),
      [
        ['site', 'mount.static.revealable.stopped'],
        ['hello', 'mount.module.reloadable.revealable.stopped'],
        ['/docs', 'mount.static.revealable.stopped'],
        ['api', 'mount.proxy.stopped'],
        ['cmd', 'mount.command.reloadable.stopped'],
      ],
    );
    assert.strictEqual(items[0].description, '/ → public/ · not started');
    assert.strictEqual(items[1].description, '/hello → apps/hello.js · not started');
    // A mount named by its prefix does not repeat it.
    assert.strictEqual(items[2].description, '→ docs/ · not started');
    assert.strictEqual(items[3].description, '/api → http://127.0.0.1:9 · not started');
    // No process before Start, so none in the description.
    assert.strictEqual(items[4].description, '/cmd → node server.js · not started');
    assert.deepStrictEqual(
      items.map((item) => (item.iconPath as vscode.ThemeIcon).id),
      ['file-directory', 'symbol-module', 'file-directory', 'arrow-swap', 'terminal'],
    );
  });

  it('shows the stopped state in the status bar', async () => {
    const api = await getApi();
    const status = api.statusBar();
    assert.strictEqual(status.state, 'stopped');
    assert.strictEqual(status.visible, true);
    assert.match(status.text, /Mounts$/);
    assert.match(status.tooltip, /Click to start/);
  });

  it('contributes every command', async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const id of ['start', 'stop', 'restart', 'openInBrowser', 'copyUrl', 'openConfig', 'createConfig', 'showLog', 'reloadApp', 'debug', 'trustLocalCa']) {
      assert.ok(commands.includes(`mounts.${id}`), `mounts.${id} is registered`);
    }
  });
});
