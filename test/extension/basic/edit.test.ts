// Editing mounts.json in the editor while serving: a saved edit reloads without a restart; a broken
// edit shows diagnostics at the exact range as it is typed, and the old mounts keep answering.
import * as assert from 'node:assert';
import * as vscode from 'vscode';
import { firstFolder, get, getApi, replaceText, waitFor } from '../helpers';

describe('editing mounts.json', () => {
  let document: vscode.TextDocument;
  let original: string;

  before(async () => {
    const api = await getApi();
    assert.strictEqual(await vscode.commands.executeCommand('mounts.start', firstFolder().uri), true);
    document = await vscode.workspace.openTextDocument(api.engines()[0].configFile);
    await vscode.window.showTextDocument(document);
    original = document.getText();
  });

  after(async () => {
    await replaceText(document, original);
    await document.save();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('mounts.stop', firstFolder().uri);
  });

  it('is JSON with comments in the editor', () => {
    assert.strictEqual(document.languageId, 'jsonc');
  });

  it('a saved edit adds a mount that answers, without a restart', async () => {
    const api = await getApi();
    const port = api.engines()[0].engine.port;
    const states: string[] = [];
    const subscription = api.onDidChangeState(({ state }) => states.push(state));
    try {
      await replaceText(document, original.replace('"mounts": [', '"mounts": [\n    { "prefix": "/added", "name": "added", "static": "docs" },'));
      assert.ok(await document.save());
      await waitFor('the added mount to answer', async () => (await get(`http://127.0.0.1:${port}/added/readme.txt`)).status === 200);
    } finally {
      subscription.dispose();
    }
    assert.deepStrictEqual(states, [], 'the server never left serving');
    assert.strictEqual(api.engines()[0].engine.port, port);
    await waitFor('the tree to show the added mount', () =>
      api.tree.getChildren().some((node) => api.tree.getTreeItem(node).label === 'added'),
    );
  });

  it('a broken edit shows diagnostics at the exact range while typing', async () => {
    const broken = document.getText().replace('"prefix": "/added"', '"prefix": "added"');
    await replaceText(document, broken);
    const diagnostics = await waitFor('a diagnostic', () => {
      const found = vscode.languages.getDiagnostics(document.uri).filter((d) => d.source === 'mounts');
      return found.length ? found : undefined;
    });
    assert.strictEqual(diagnostics.length, 1, diagnostics.map((d) => d.message).join('\n'));
    const start = broken.indexOf('"added"', broken.indexOf('"prefix"'));
    assert.deepStrictEqual(
      [diagnostics[0].range.start, diagnostics[0].range.end].map((p) => document.offsetAt(p)),
      [start, start + '"added"'.length],
    );
    assert.match(diagnostics[0].message, /mounts\[0\]\.prefix/);
    assert.strictEqual(diagnostics[0].severity, vscode.DiagnosticSeverity.Error);
  });

  it('a syntax error is shown where it is', async () => {
    const text = document.getText();
    const comma = text.indexOf('"static": "docs" },') + '"static": "docs" }'.length;
    await replaceText(document, text.slice(0, comma) + text.slice(comma + 1));
    const diagnostics = await waitFor('a syntax diagnostic', () =>
      vscode.languages.getDiagnostics(document.uri).find((d) => d.source === 'mounts' && /syntax error/.test(d.message)),
    );
    assert.strictEqual(document.offsetAt(diagnostics.range.start) >= comma, true);
    assert.strictEqual(diagnostics.range.start.line, document.positionAt(comma).line + 1);
    await replaceText(document, text);
  });

  it('saving a broken file keeps the old mounts serving', async () => {
    const api = await getApi();
    const port = api.engines()[0].engine.port;
    await replaceText(document, document.getText().replace('"prefix": "/added"', '"prefix": "added"'));
    assert.ok(await document.save());
    await waitFor('the engine to read the problem', () => api.engines()[0].engine.problems.length > 0);
    assert.strictEqual(api.state(), 'serving');
    assert.strictEqual((await get(`http://127.0.0.1:${port}/added/readme.txt`)).status, 200);
    assert.strictEqual((await get(`http://127.0.0.1:${port}/hello`)).status, 200);
    // The tree says the file has problems and still lists what is served.
    const first = api.tree.getTreeItem(api.tree.getChildren()[0]);
    assert.strictEqual(first.contextValue, 'mountsProblems');
    assert.match(String(first.label), /^1 problem in mounts\.json$/);
    // Fixing it and saving clears the problems.
    await replaceText(document, document.getText().replace('"prefix": "added"', '"prefix": "/added"'));
    assert.ok(await document.save());
    await waitFor('the problems to clear', () => api.engines()[0].engine.problems.length === 0);
    await waitFor('the diagnostics to clear', () => vscode.languages.getDiagnostics(document.uri).every((d) => d.source !== 'mounts'));
  });

  it('saving an edit whose app cannot load marks that mount in the open file; the old version serves', async () => {
    const api = await getApi();
    const port = api.engines()[0].engine.port;
    const saved = document.getText();
    await replaceText(document, saved.replace('"module": "apps/hello.js"', '"module": "apps/missing.js"'));
    assert.ok(await document.save());
    const diagnostic = await waitFor('a diagnostic for the app', () =>
      vscode.languages.getDiagnostics(document.uri).find((d) => d.source === 'mounts' && /^mounts\[\d+\]\.module$/.test(String(d.code))),
    );
    assert.match(diagnostic.message, /"hello": module .*missing\.js does not exist$/);
    assert.strictEqual(document.lineAt(diagnostic.range.start.line).text.includes('"/hello"'), true);
    assert.strictEqual((await get(`http://127.0.0.1:${port}/hello`)).status, 200);
    // Unsaved text may move things: the app's problem waits for the next save.
    await replaceText(document, `// a comment that moves every line\n${document.getText()}`);
    await waitFor('the app problem to wait for the save', () =>
      vscode.languages.getDiagnostics(document.uri).every((d) => !/module$/.test(String(d.code))),
    );
    await replaceText(document, saved);
    assert.ok(await document.save());
    await waitFor('the diagnostics to clear', () => vscode.languages.getDiagnostics(document.uri).every((d) => d.source !== 'mounts'));
  });
});
