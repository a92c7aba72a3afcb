// The status bar item: what it shows in each state, and its click (start when stopped, a menu of
// actions while serving).
import * as assert from 'node:assert';
import * as vscode from 'vscode';
import type { StatusModel } from '../../../src/ui/statusBar';
import { getApi } from '../helpers';
import { Stubs } from '../stubs';

const ACTIONS = ['$(globe) Open in Browser', '$(preview) Open Preview', '$(debug-restart) Restart', '$(debug-alt) Debug', '$(debug-stop) Stop', '$(output) Show Log'];

/** The status bar as it was at each state change during `run`. */
async function statusDuring(run: () => Thenable<unknown>): Promise<StatusModel[]> {
  const api = await getApi();
  const seen: StatusModel[] = [];
  // The item redraws on the same event before this listener runs (it subscribed first).
  const subscription = api.onDidChangeState(() => seen.push(api.statusBar()));
  try {
    await run();
  } finally {
    subscription.dispose();
  }
  return seen;
}

describe('status bar', () => {
  const stubs = new Stubs();

  afterEach(() => stubs.restore());

  after(async () => {
    await vscode.commands.executeCommand('mounts.stop');
  });

  it('a click while stopped starts, showing starting, then the port and mounts', async () => {
    const api = await getApi();
    assert.strictEqual(api.state(), 'stopped');
    const seen = await statusDuring(() => vscode.commands.executeCommand('mounts.statusBarClicked'));
    assert.strictEqual(api.state(), 'serving');
    const { port, url, runtime } = api.engines()[0].engine;
    assert.deepStrictEqual(seen, [
      { state: 'starting', text: '$(loading~spin) Mounts starting', tooltip: 'starting', visible: true },
      {
        state: 'serving',
        text: `$(radio-tower) Mounts :${port} (5 mounts)`,
        tooltip: `serving 5 mounts at ${url} on Node ${runtime!.version}\nClick for actions`,
        visible: true,
      },
    ]);
  });

  it('a click while serving offers Open in Browser, Open Preview, Restart, Debug, Stop and Show Log', async () => {
    const api = await getApi();
    const calls = stubs.replace(vscode.window, 'showQuickPick', () => Promise.resolve(undefined));
    await vscode.commands.executeCommand('mounts.statusBarClicked');
    assert.deepStrictEqual(calls, [[ACTIONS, { placeHolder: 'Mounts' }]]);
    // Dismissed: nothing happens.
    assert.strictEqual(api.state(), 'serving');
  });

  it('choosing Stop stops, showing stopping, then stopped', async () => {
    const api = await getApi();
    stubs.replace(vscode.window, 'showQuickPick', () => Promise.resolve('$(debug-stop) Stop'));
    const seen = await statusDuring(() => vscode.commands.executeCommand('mounts.statusBarClicked'));
    assert.strictEqual(api.state(), 'stopped');
    assert.deepStrictEqual(seen, [
      { state: 'stopping', text: '$(loading~spin) Mounts stopping', tooltip: 'stopping', visible: true },
      { state: 'stopped', text: '$(circle-slash) Mounts', tooltip: 'stopped\nClick to start', visible: true },
    ]);
  });
});
