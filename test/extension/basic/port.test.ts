// Port in use: the error state with the reason; the notification's actions (open mounts.json at the
// port, a free port for this run); Stop frees the port.
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { firstFolder, getApi, isListening, occupyPort, waitFor } from '../helpers';
import { Stubs } from '../stubs';

describe('ports', () => {
  it('Stop frees the port', async () => {
    const api = await getApi();
    assert.strictEqual(await vscode.commands.executeCommand('mounts.start', firstFolder().uri), true);
    const port = api.engines()[0].engine.port!;
    assert.ok(await isListening(port));
    await vscode.commands.executeCommand('mounts.stop');
    assert.strictEqual(api.state(), 'stopped');
    assert.strictEqual(await isListening(port), false);
  });

  describe('when the port is in use', () => {
    const stubs = new Stubs();
    let holder: { port: number; close(): Promise<void> };
    let configFile: string;
    let original: string;

    afterEach(() => stubs.restore());

    before(async () => {
      const api = await getApi();
      holder = await occupyPort();
      configFile = api.engines()[0].configFile.fsPath;
      original = fs.readFileSync(configFile, 'utf8');
      // Written outside the editor: the file watcher brings it in.
      fs.writeFileSync(configFile, original.replace('"port": 0', `"port": ${holder.port}`));
      await waitFor('the engine to read the new port', () => api.engines()[0].engine.config?.port === holder.port);
    });

    after(async () => {
      await vscode.commands.executeCommand('mounts.stop');
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      fs.writeFileSync(configFile, original);
      const api = await getApi();
      await waitFor('the engine to read port 0 again', () => api.engines()[0].engine.config?.port === 0);
      await holder.close();
    });

    it('ends in the error state, saying which port', async () => {
      const api = await getApi();
      const states: string[] = [];
      const subscription = api.onDidChangeState(({ state }) => states.push(state));
      try {
        assert.strictEqual(await vscode.commands.executeCommand('mounts.start'), false);
      } finally {
        subscription.dispose();
      }
      assert.deepStrictEqual(states, ['starting', 'error']);
      assert.strictEqual(api.state(), 'error');
      assert.strictEqual(api.engines()[0].engine.lastError, `port ${holder.port} is in use`);
      const status = api.statusBar();
      assert.strictEqual(status.state, 'error');
      assert.strictEqual(status.text, '$(error) Mounts error');
      assert.match(status.tooltip, new RegExp(`port ${holder.port} is in use`));
      // Nothing half-started: the tree shows the mounts not started.
      assert.ok(api.tree.getChildren().every((node) => api.tree.getTreeItem(node).contextValue?.endsWith('.stopped')));
    });

    it('notifies with the port and three actions; Open mounts.json selects the port', async () => {
      const calls = stubs.replace(vscode.window, 'showErrorMessage', () => Promise.resolve('Open mounts.json'));
      assert.strictEqual(await vscode.commands.executeCommand('mounts.start'), false);
      assert.deepStrictEqual(calls, [[`Mounts: port ${holder.port} is in use.`, 'Open mounts.json', 'Use a Free Port', 'Show Log']]);
      const editor = await waitFor('mounts.json to open', () => {
        const active = vscode.window.activeTextEditor;
        return active?.document.uri.fsPath === configFile ? active : undefined;
      });
      assert.strictEqual(editor.document.getText(editor.selection), String(holder.port));
      const portAt = editor.document.getText().indexOf(`"port": ${holder.port}`) + '"port": '.length;
      assert.deepStrictEqual(editor.selection.start, editor.document.positionAt(portAt));
    });

    it('Use a Free Port in the notification starts on another port', async () => {
      const api = await getApi();
      stubs.replace(vscode.window, 'showErrorMessage', () => Promise.resolve('Use a Free Port'));
      assert.strictEqual(await vscode.commands.executeCommand('mounts.start'), false);
      // The action runs after the command returned: the notification is not awaited.
      await waitFor('the server to serve on a free port', () => api.state() === 'serving');
      const port = api.engines()[0].engine.port!;
      assert.notStrictEqual(port, holder.port);
      assert.ok(await isListening(port));
      await vscode.commands.executeCommand('mounts.stop');
      assert.strictEqual(await isListening(port), false);
    });

    it('starts on a free port for this run without touching mounts.json', async () => {
      const api = await getApi();
      assert.strictEqual(await vscode.commands.executeCommand('mounts.startOnFreePort', firstFolder().uri), true);
      const port = api.engines()[0].engine.port!;
      assert.notStrictEqual(port, holder.port);
      assert.ok(await isListening(port));
      assert.ok(fs.readFileSync(configFile, 'utf8').includes(`"port": ${holder.port}`));
      await vscode.commands.executeCommand('mounts.stop');
      assert.strictEqual(await isListening(port), false);
    });

    it('a free-port start that fails leaves the next Start on the configured port', async () => {
      const api = await getApi();
      const engine = api.engines()[0].engine;
      const valid = fs.readFileSync(configFile, 'utf8');
      fs.writeFileSync(configFile, valid.replace('{', '{ "unknown": 1,'));
      await waitFor('the engine to see the problem', () => engine.problems.length > 0);
      assert.strictEqual(await vscode.commands.executeCommand('mounts.startOnFreePort', firstFolder().uri), false);
      fs.writeFileSync(configFile, valid);
      await waitFor('the engine to read the valid file', () => engine.problems.length === 0);
      assert.strictEqual(await vscode.commands.executeCommand('mounts.start'), false);
      assert.strictEqual(engine.lastError, `port ${holder.port} is in use`);
    });
  });
});
