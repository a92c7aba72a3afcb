// Runs last: deactivate() resolves when every engine has stopped and every port is free.
import * as assert from 'node:assert';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID, firstFolder, getApi, isListening } from '../helpers';

describe('deactivation', () => {
  it('deactivate() stops every engine and frees every port', async () => {
    const api = await getApi();
    assert.strictEqual(await vscode.commands.executeCommand('mounts.start', firstFolder().uri), true);
    const ports = api.engines().map((entry) => entry.engine.port!);
    for (const port of ports) assert.ok(await isListening(port));

    // The host keeps one module instance per extension: require() gives the one VS Code activated.
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
     
    const main = require(path.join(extension.extensionPath, extension.packageJSON.main)) as { deactivate(): Promise<void> | undefined };
    await main.deactivate();
    for (const port of ports) assert.strictEqual(await isListening(port), false, `port ${port} is free`);
    assert.strictEqual(api.state(), 'stopped');
  });
});
