// Runs last: deactivate() resolves when every engine has stopped, every port is free, every
// command mount's process is gone and no engine process is left.
import * as assert from 'node:assert';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { engineProcesses, EXTENSION_ID, firstFolder, get, getApi, isAlive, isListening, waitFor } from '../helpers';

describe('deactivation', () => {
  it('deactivate() stops every engine, frees every port and ends every command', async () => {
    const api = await getApi();
    assert.strictEqual(await vscode.commands.executeCommand('mounts.start', firstFolder().uri), true);
    const ports = api.engines().map((entry) => entry.engine.port!);
    const configFile = api.engines()[0].configFile.fsPath;
    const enginePid = api.engines()[0].engine.pid!;
    assert.deepStrictEqual(engineProcesses(configFile), [enginePid], 'one engine process serves the folder');
    for (const port of ports) assert.ok(await isListening(port));
    // Answering means the command's process is ready; the engine process reports its pid and port
    // in its next batch of events (at most 250 ms later).
    assert.strictEqual((await get(api.urlOf('/cmd')!)).status, 200);
    const { pid, port: childPort } = await waitFor("the command's pid and port to be reported", () => {
      const status = api.mounts().find((mount) => mount.id === '/cmd')!.status;
      return status.pid !== undefined && status.port !== undefined ? { pid: status.pid, port: status.port } : undefined;
    });
    assert.ok(isAlive(pid), `the command runs (pid ${pid})`);

    // The host keeps one module instance per extension: require() gives the one VS Code activated.
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
     
    const main = require(path.join(extension.extensionPath, extension.packageJSON.main)) as { deactivate(): Promise<void> | undefined };
    await main.deactivate();
    for (const port of ports) assert.strictEqual(await isListening(port), false, `port ${port} is free`);
    assert.strictEqual(isAlive(pid), false, `the command process ${pid} ended`);
    assert.strictEqual(await isListening(childPort), false, `the command's port ${childPort} is free`);
    assert.strictEqual(api.state(), 'stopped');
    assert.deepStrictEqual(engineProcesses(configFile), [], 'no engine process is left in the process table');
  });
});
