// Without the Python extension (this setup loads no stand-in for it), a wsgi mount in the editor
// runs on python3 on the PATH, and the log says so.
import * as assert from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { firstFolder, get, getApi, waitFor, WHICH_PYTHON_APP } from '../helpers';

describe('wsgi mounts without the Python extension', () => {
  const root = () => firstFolder().uri.fsPath;
  let original: string;

  after(async () => {
    await vscode.commands.executeCommand('mounts.stop', firstFolder().uri);
    if (original !== undefined) fs.writeFileSync(path.join(root(), 'mounts.json'), original);
  });

  it('is a window without the Python extension', () => {
    assert.strictEqual(vscode.extensions.getExtension('ms-python.python'), undefined);
  });

  it('runs a wsgi mount on python3 on the PATH', async () => {
    const api = await getApi();
    const configFile = path.join(root(), 'mounts.json');
    original = fs.readFileSync(configFile, 'utf8');
    fs.writeFileSync(path.join(root(), 'which.py'), WHICH_PYTHON_APP);
    fs.writeFileSync(configFile, JSON.stringify({ port: 0, mounts: [{ prefix: '/py', wsgi: 'which:app' }] }));
    assert.strictEqual(await vscode.commands.executeCommand('mounts.restart', firstFolder().uri), true);
    const logged = await waitFor('the log to name the interpreter', () =>
      api.recentLog().map((line) => /wsgi which:app runs on (\S+) \(python3 on the PATH\)/.exec(line)?.[1]).find((found) => found !== undefined),
    20_000);
    assert.ok(path.isAbsolute(logged), logged);
    // What that interpreter calls itself (a pyenv shim hands over to the real executable).
    const itself = execFileSync(logged, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
    assert.strictEqual((await get(api.urlOf('/py')!)).body, itself);
  });
});
