// A multi-root workspace (.code-workspace): an engine per folder that has mounts.json, each on its
// own port; the tree groups by folder; creating mounts.json in a folder gives it an engine.
import * as assert from 'node:assert';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { get, getApi, isListening, waitFor } from '../helpers';

function folderNamed(name: string): vscode.WorkspaceFolder {
  const folder = vscode.workspace.workspaceFolders?.find((candidate) => candidate.name === name);
  assert.ok(folder, `folder ${name} is open`);
  return folder;
}

describe('multi-root workspace', () => {
  it('has an engine for each folder with mounts.json, and none for the others', async () => {
    const api = await getApi();
    assert.deepStrictEqual(
      api.engines().map((entry) => path.basename(entry.folder.fsPath)),
      ['alpha', 'beta'],
    );
  });

  it('groups the tree by folder', async () => {
    const api = await getApi();
    const roots = api.tree.getChildren();
    assert.deepStrictEqual(
      roots.map((node) => [api.tree.getTreeItem(node).label, api.tree.getTreeItem(node).contextValue]),
      [
        ['alpha', 'mountsFolder.stopped'],
        ['beta', 'mountsFolder.stopped'],
      ],
    );
    assert.deepStrictEqual(
      api.tree.getChildren(roots[1]).map((node) => api.tree.getTreeItem(node).contextValue),
      ['mount.module.reloadable.revealable.stopped'],
    );
  });

  it('starts each folder on its own port', async () => {
    const api = await getApi();
    for (const name of ['alpha', 'beta']) {
      assert.strictEqual(await vscode.commands.executeCommand('mounts.start', folderNamed(name).uri), true);
    }
    const alpha = folderNamed('alpha').uri;
    const beta = folderNamed('beta').uri;
    assert.strictEqual(api.state(alpha), 'serving');
    assert.strictEqual(api.state(beta), 'serving');
    assert.match((await get(api.urlOf('/', alpha)!)).body, /alpha/);
    assert.strictEqual((await get(api.urlOf('/beta', beta)!)).body, 'beta');
    const ports = api.engines().map((entry) => entry.engine.port);
    assert.strictEqual(new Set(ports).size, 2);
    await waitFor('the status bar to show both ports', () => api.statusBar().text.endsWith(`Mounts :${ports[0]} :${ports[1]} (2 mounts)`));
    const roots = api.tree.getChildren();
    assert.deepStrictEqual(
      roots.map((node) => api.tree.getTreeItem(node).contextValue),
      ['mountsFolder.serving', 'mountsFolder.serving'],
    );
  });

  it('Create mounts.json gives a folder its engine, with a valid template', async () => {
    const api = await getApi();
    const gamma = folderNamed('gamma');
    const created = await vscode.commands.executeCommand<vscode.Uri>('mounts.createConfig', gamma.uri);
    assert.strictEqual(created?.fsPath, path.join(gamma.uri.fsPath, 'mounts.json'));
    await waitFor('an engine for gamma', () => api.state(gamma.uri) === 'stopped');
    const engine = api.engines().find((entry) => entry.folder.toString() === gamma.uri.toString())!.engine;
    assert.deepStrictEqual(engine.problems, []);
    assert.deepStrictEqual(api.mounts(gamma.uri).map((mount) => mount.spec.name), ['site']);
    // The template's diagnostics, from the open editor: none. An unknown field typed into it is the
    // sentinel: once its problem shows, the whole text has been validated, and it must be the only one.
    const editor = await vscode.window.showTextDocument(created);
    const brace = editor.document.getText().indexOf('{') + 1;
    assert.ok(await editor.edit((edit) => edit.insert(editor.document.positionAt(brace), ' "sentinelField": 1,')));
    const problems = await waitFor('the sentinel field\'s problem', () => {
      const found = vscode.languages.getDiagnostics(created).filter((d) => d.source === 'mounts');
      return found.length ? found : undefined;
    });
    assert.strictEqual(problems.length, 1, `the template itself has no problem: ${problems.map((d) => d.message).join('; ')}`);
    assert.match(problems[0].message, /sentinelField is not a top-level field/);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('stopping every engine frees every port', async () => {
    const api = await getApi();
    const ports = api.engines().map((entry) => entry.engine.port).filter((port): port is number => port !== undefined);
    assert.strictEqual(ports.length, 2);
    await api.stopAll();
    for (const port of ports) assert.strictEqual(await isListening(port), false);
    for (const entry of api.engines()) assert.strictEqual(api.state(entry.folder), 'stopped');
  });
});
