// wsgi mounts in the editor run on the interpreter the Python extension selected for their folder,
// read through @vscode/python-extension. The real extension cannot be installed offline, so this
// setup loads a stand-in for its environments API (test/extension/pythonStandIn); the auto-start
// setup runs without any, where python3 on the PATH serves. A new selection restarts the app on
// the new interpreter; a mount's own "python" wins over the selection.
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { firstFolder, get, getApi, waitFor, WHICH_PYTHON_APP } from '../helpers';

const SELECTED_FIRST = '/usr/bin/python3';
const SOURCE = "the Python extension's interpreter for this folder";

describe("wsgi mounts on the Python extension's interpreter", () => {
  const root = () => firstFolder().uri.fsPath;
  const configFile = () => path.join(root(), 'mounts.json');
  let original: string;
  let alternative: string;
  let own: string;

  before(async () => {
    original = fs.readFileSync(configFile(), 'utf8');
    // Debian's Python under two other names: which one answers shows which one was chosen.
    const bin = fs.mkdtempSync(path.join(root(), '.python-'));
    alternative = path.join(bin, 'selected-later');
    own = path.join(bin, 'the-mounts-own');
    fs.symlinkSync(SELECTED_FIRST, alternative);
    fs.symlinkSync(SELECTED_FIRST, own);
    fs.writeFileSync(path.join(root(), 'which.py'), WHICH_PYTHON_APP);
    fs.writeFileSync(
      configFile(),
      JSON.stringify({ port: 0, mounts: [{ prefix: '/py', wsgi: 'which:app' }, { prefix: '/own', wsgi: 'which:app', python: own }] }),
    );
    assert.strictEqual(await vscode.commands.executeCommand('mounts.start', firstFolder().uri), true);
  });

  after(async () => {
    await vscode.commands.executeCommand('mounts.stop', firstFolder().uri);
    await vscode.commands.executeCommand('pythonStandIn.select', SELECTED_FIRST);
    fs.writeFileSync(configFile(), original);
  });

  it('runs a wsgi mount on the selected interpreter, and says so in the log', async () => {
    const api = await getApi();
    await waitFor('the selected interpreter to answer', async () => (await get(`${api.urlOf('/py')}`)).body === SELECTED_FIRST, 20_000);
    assert.ok(
      api.recentLog().some((line) => line.includes(`wsgi which:app runs on ${SELECTED_FIRST} (${SOURCE})`)),
      api.recentLog().slice(-20).join('\n'),
    );
    assert.strictEqual((await get(`${api.urlOf('/own')}`)).body, own, "a mount's own python wins");
  });

  it('restarts the app on a new selection; a mount with its own python keeps running', async () => {
    const api = await getApi();
    // The engine process reports a mount's pid in its next batch of events, at most 250 ms after.
    const ownPid = await waitFor("the /own mount's pid to be reported", () => api.mounts().find((mount) => mount.id === '/own')?.status.pid);
    await vscode.commands.executeCommand('pythonStandIn.select', alternative);
    await waitFor('the new selection to answer', async () => (await get(`${api.urlOf('/py')}`)).body === alternative, 20_000);
    assert.ok(api.recentLog().some((line) => line.includes(`wsgi which:app runs on ${alternative} (${SOURCE})`)), api.recentLog().slice(-20).join('\n'));
    assert.strictEqual((await get(`${api.urlOf('/own')}`)).body, own);
    assert.strictEqual(api.mounts().find((mount) => mount.id === '/own')?.status.pid, ownPid, 'the /own mount was not restarted');
  });
});
