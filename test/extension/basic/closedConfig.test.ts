// Problems of a mounts.json that no editor has open come from the engine's read of the file; a
// problem spanning several lines keeps its real end (a regression: the range used to be rebuilt
// on the start's line, `length` characters long). Runs before any suite opens mounts.json.
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { getApi, waitFor } from '../helpers';

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
});
