// Context keys: every `mounts.*` key a `when` clause in package.json reads is one the extension
// sets, and the keys follow the server (Start/Stop) and the config's problems.
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { contextKeys } from '../../../src/ui/contextKeys';
import { EXTENSION_ID, firstFolder, getApi, waitFor } from '../helpers';
import { Stubs } from '../stubs';

/** Every `when` clause in the manifest's contributions, wherever it is. */
function whenClauses(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(whenClauses);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) => (key === 'when' && typeof inner === 'string' ? [inner] : whenClauses(inner)));
}

/** The `mounts.*` context keys a clause reads; `view == mounts.apps` compares with a view id, not a key. */
function keysRead(clause: string): string[] {
  const withoutComparedValues = clause.replace(/(==|!=|=~)\s*(\/(?:\\.|[^/])*\/|[^\s&|)]+)/g, '');
  return withoutComparedValues.match(/\bmounts\.\w+/g) ?? [];
}

describe('context keys', () => {
  const stubs = new Stubs();

  afterEach(() => stubs.restore());

  after(async () => {
    await vscode.commands.executeCommand('mounts.stop');
  });

  it('every mounts.* key in a when clause is one the extension sets', () => {
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    const clauses = whenClauses(manifest.contributes);
    assert.ok(clauses.length > 20, `found ${clauses.length} when clauses`);
    const read = new Set(clauses.flatMap(keysRead));
    assert.deepStrictEqual([...read].sort(), ['mounts.canStart', 'mounts.canStop', 'mounts.hasConfig', 'mounts.hasProblems']);
    const set = Object.keys(contextKeys([]));
    for (const key of read) assert.ok(set.includes(key), `${key} is read in package.json but never set`);
  });

  it('Start and Stop flip canStart and canStop; a broken config sets hasProblems', async () => {
    const api = await getApi();
    /** The last value the extension sent for each key since the spy went in. */
    const sent = new Map<string, unknown>();
    const executeCommand = vscode.commands.executeCommand.bind(vscode.commands);
    stubs.replace(vscode.commands, 'executeCommand', (command: string, ...args: unknown[]) => {
      if (command === 'setContext') sent.set(args[0] as string, args[1]);
      return executeCommand(command, ...args);
    });
    assert.strictEqual(await vscode.commands.executeCommand('mounts.start', firstFolder().uri), true);
    assert.deepStrictEqual(Object.fromEntries(sent), { 'mounts.canStart': false, 'mounts.canStop': true });

    sent.clear();
    await vscode.commands.executeCommand('mounts.stop', firstFolder().uri);
    assert.deepStrictEqual(Object.fromEntries(sent), { 'mounts.canStart': true, 'mounts.canStop': false });

    sent.clear();
    const configFile = api.engines()[0].configFile.fsPath;
    const original = fs.readFileSync(configFile, 'utf8');
    try {
      fs.writeFileSync(configFile, original.replace('"port": 0', '"port": "zero"'));
      await waitFor('hasProblems to be set', () => sent.get('mounts.hasProblems') === true);
    } finally {
      fs.writeFileSync(configFile, original);
    }
    await waitFor('hasProblems to be cleared', () => sent.get('mounts.hasProblems') === false);
    assert.deepStrictEqual([...sent.keys()], ['mounts.hasProblems']);
  });
});
