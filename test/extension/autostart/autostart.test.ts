// With `mounts.autoStart` on, opening the workspace is enough: the server serves after activation
// without anyone running a command.
import * as assert from 'node:assert';
import * as vscode from 'vscode';
import { EXTENSION_ID, firstFolder, get, getApi, isListening, waitFor } from '../helpers';

describe('autoStart', () => {
  after(async () => {
    await vscode.commands.executeCommand('mounts.stop', firstFolder().uri);
  });

  it('is on in this profile', () => {
    assert.strictEqual(vscode.workspace.getConfiguration('mounts', firstFolder()).get('autoStart'), true);
  });

  it('serves every mount after activation, without a command', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension);
    // workspaceContains activates it; nothing here activates it or runs a command.
    await waitFor('the extension to activate by itself', () => extension.isActive);
    const api = extension.exports as Awaited<ReturnType<typeof getApi>>;
    await waitFor('the server to serve', () => api.state() === 'serving');
    const port = api.engines()[0].engine.port!;
    assert.ok(await isListening(port));
    assert.match((await get(api.urlOf('/')!)).body, /static site/);
    assert.strictEqual((await get(`${api.urlOf('/hello')}x`)).body, 'hello from /hello /x');
    assert.match((await get(api.urlOf('/cmd')!)).body, /^cmd pid \d+ prefix \/cmd url \/$/);
    await waitFor('the status bar to show serving', () => api.statusBar().text.endsWith(`Mounts :${port} (5 mounts)`));
  });
});
