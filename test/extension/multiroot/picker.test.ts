// Start and Stop without a target in a multi-root workspace ask which folder, offering "All
// folders" first and then each folder that the command applies to. Runs first: every folder stopped.
import * as assert from 'node:assert';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { getApi } from '../helpers';
import { Stubs } from '../stubs';

type FolderItem = vscode.QuickPickItem & { readonly targets: unknown[] };

function folderUri(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.find((candidate) => candidate.name === name);
  assert.ok(folder, `folder ${name} is open`);
  return folder.uri;
}

/** What a picker offered: label, description, detail. */
function offered(call: unknown[]): [string, string | undefined, string | undefined][] {
  return (call[0] as FolderItem[]).map((item) => [item.label, item.description, item.detail]);
}

/** Answers the folder picker with the item labelled `label`. */
function choose(label: string | undefined) {
  return (items: FolderItem[]) => Promise.resolve(items.find((item) => item.label === label));
}

describe('folder picker (multi-root)', () => {
  const stubs = new Stubs();
  const config = (name: string) => path.join(folderUri(name).fsPath, 'mounts.json');

  afterEach(() => stubs.restore());

  after(async () => {
    const api = await getApi();
    await api.stopAll();
  });

  it('Start asks, and a dismissed picker starts nothing', async () => {
    const api = await getApi();
    const calls = stubs.replace(vscode.window, 'showQuickPick', choose(undefined));
    assert.strictEqual(await vscode.commands.executeCommand('mounts.start'), false);
    assert.strictEqual(calls.length, 1);
    assert.deepStrictEqual(offered(calls[0]), [
      ['All folders', 'alpha, beta', undefined],
      ['alpha', 'stopped', config('alpha')],
      ['beta', 'stopped', config('beta')],
    ]);
    assert.deepStrictEqual(calls[0][1], { placeHolder: 'Start which folder?' });
    assert.strictEqual(api.state(folderUri('alpha')), 'stopped');
    assert.strictEqual(api.state(folderUri('beta')), 'stopped');
  });

  it('Start with "All folders" starts every folder', async () => {
    const api = await getApi();
    stubs.replace(vscode.window, 'showQuickPick', choose('All folders'));
    assert.strictEqual(await vscode.commands.executeCommand('mounts.start'), true);
    assert.strictEqual(api.state(folderUri('alpha')), 'serving');
    assert.strictEqual(api.state(folderUri('beta')), 'serving');
  });

  it('Stop asks among the serving folders and stops only the one chosen', async () => {
    const api = await getApi();
    const calls = stubs.replace(vscode.window, 'showQuickPick', choose('beta'));
    await vscode.commands.executeCommand('mounts.stop');
    assert.strictEqual(calls.length, 1);
    assert.deepStrictEqual(offered(calls[0]), [
      ['All folders', 'alpha, beta', undefined],
      ['alpha', 'serving', config('alpha')],
      ['beta', 'serving', config('beta')],
    ]);
    assert.deepStrictEqual(calls[0][1], { placeHolder: 'Stop which folder?' });
    assert.strictEqual(api.state(folderUri('alpha')), 'serving');
    assert.strictEqual(api.state(folderUri('beta')), 'stopped');
  });

  it('with one folder to act on, Start and Stop act on it without asking', async () => {
    const api = await getApi();
    const calls = stubs.replace(vscode.window, 'showQuickPick', choose(undefined));
    // alpha serves: only beta can start.
    assert.strictEqual(await vscode.commands.executeCommand('mounts.start'), true);
    assert.strictEqual(api.state(folderUri('beta')), 'serving');
    // A folder named by the caller needs no question either.
    await vscode.commands.executeCommand('mounts.stop', folderUri('beta'));
    assert.strictEqual(api.state(folderUri('beta')), 'stopped');
    // Now only alpha serves.
    await vscode.commands.executeCommand('mounts.stop');
    assert.strictEqual(api.state(folderUri('alpha')), 'stopped');
    assert.deepStrictEqual(calls, [], 'no picker was shown');
  });
});
