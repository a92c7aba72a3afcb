// Problems of a mounts.json that no editor has open come from the engine's read of the file; a
// problem spanning several lines keeps its real end (a regression: the range used to be rebuilt
// on the start's line, `length` characters long). Runs before any suite opens mounts.json.
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { firstFolder, getApi, waitFor } from '../helpers';

describe('problems of a closed mounts.json', () => {
  let configFile: vscode.Uri;
  let original: string;

  before(async () => {
    const api = await getApi();
    configFile = api.engines()[0].configFile;
    original = fs.readFileSync(configFile.fsPath, 'utf8');
  });

  after(async () => {
    fs.writeFileSync(configFile.fsPath, original);
    const api = await getApi();
    await waitFor('the engine to read the valid file', () => api.engines()[0].engine.problems.length === 0);
    await waitFor('the diagnostics to clear', () => vscode.languages.getDiagnostics(configFile).every((d) => d.source !== 'mounts'));
  });

  it('a problem over several lines ends where it ends', async () => {
    assert.ok(
      vscode.workspace.textDocuments.every((document) => document.uri.toString() !== configFile.toString()),
      'mounts.json is not open: the diagnostics must come from the engine',
    );
    const value = '{\n    "value": 8080\n  }';
    const broken = original.replace('"port": 0', `"port": ${value}`);
    // Written outside the editor: the watcher has the engine read it.
    fs.writeFileSync(configFile.fsPath, broken);
    const diagnostic = await waitFor('a diagnostic from the engine', () =>
      vscode.languages.getDiagnostics(configFile).find((d) => d.source === 'mounts'),
    );
    const offset = broken.indexOf(value);
    const lineOf = (at: number) => broken.slice(0, at).split('\n').length - 1;
    const columnOf = (at: number) => at - (broken.lastIndexOf('\n', at - 1) + 1);
    const end = offset + value.length;
    assert.deepStrictEqual(
      [diagnostic.range.start.line, diagnostic.range.start.character, diagnostic.range.end.line, diagnostic.range.end.character],
      [lineOf(offset), columnOf(offset), lineOf(end), columnOf(end)],
    );
    assert.strictEqual(diagnostic.range.end.line - diagnostic.range.start.line, 2);
    assert.match(diagnostic.message, /^port must be an integer/);
    assert.strictEqual(diagnostic.code, 'port');
  });

  it('a mount whose app cannot load is a problem at its place, and goes when the file is fixed', async () => {
    const api = await getApi();
    const broken = original.replace('"module": "apps/hello.js"', '"module": "apps/missing.js"');
    fs.writeFileSync(configFile.fsPath, broken);
    await waitFor('the engine to read the edit', () => api.engines()[0].engine.config?.mounts.some((mount) => mount.kind === 'module' && mount.module.endsWith('missing.js')));
    assert.strictEqual(await vscode.commands.executeCommand('mounts.start', firstFolder().uri), false);
    const diagnostic = await waitFor('a diagnostic for the app', () =>
      vscode.languages.getDiagnostics(configFile).find((d) => d.source === 'mounts' && d.code === 'mounts[1].module'),
    );
    assert.match(diagnostic.message, /^mounts\[1\]\.module "hello": module .*missing\.js does not exist$/);
    const mountAt = broken.indexOf('{ "prefix": "/hello"');
    assert.strictEqual(diagnostic.range.start.line, broken.slice(0, mountAt).split('\n').length - 1);
    assert.strictEqual(diagnostic.range.start.character, mountAt - (broken.lastIndexOf('\n', mountAt) + 1));

    fs.writeFileSync(configFile.fsPath, original);
    await waitFor('the diagnostic to go', () => vscode.languages.getDiagnostics(configFile).every((d) => d.source !== 'mounts'));
    // Leave it stopped without an error, as the suites after this one expect.
    await waitFor('the engine to read the fix', () => api.engines()[0].engine.config?.mounts.some((mount) => mount.kind === 'module' && mount.module.endsWith('hello.js')));
    assert.strictEqual(await vscode.commands.executeCommand('mounts.start', firstFolder().uri), true);
    await vscode.commands.executeCommand('mounts.stop', firstFolder().uri);
  });
});
