// The agent tools in a multi-root workspace: each folder with a mounts.json has its own engine, so a
// call names its folder; without one, the error lists the folders to choose from.
import * as assert from 'node:assert';
import * as vscode from 'vscode';
import { getApi } from '../helpers';

const none = new vscode.CancellationTokenSource().token;

async function listMounts(input: object): Promise<{ configFile: string; state: string; mounts: { name: string }[] }> {
  const result = await vscode.lm.invokeTool('mounts_list_mounts', { input, toolInvocationToken: undefined }, none);
  return JSON.parse(result.content.map((part) => (part instanceof vscode.LanguageModelTextPart ? part.value : '')).join(''));
}

describe('agent tools in a multi-root workspace', () => {
  it('answer the folder a call names', async () => {
    const api = await getApi();
    for (const { folder, configFile } of api.engines()) {
      const name = vscode.workspace.getWorkspaceFolder(folder)!.name;
      const answer = await listMounts({ folder: name });
      assert.strictEqual(answer.configFile, configFile.fsPath, name);
      assert.deepStrictEqual(answer.mounts.map((mount) => mount.name), api.mounts(folder).map((mount) => mount.spec.name), name);
    }
  });

  it('without a folder, say which folders there are', async () => {
    await assert.rejects(listMounts({}), /this workspace has 2 folders with a mounts\.json \("alpha", "beta"\): give one as `folder`/);
    await assert.rejects(listMounts({ folder: 'gamma' }), /no workspace folder "gamma" has a mounts\.json; those that do: "alpha", "beta"/);
  });
});
