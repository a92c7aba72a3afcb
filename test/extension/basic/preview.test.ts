// Mounts: Open Preview opens a serving mount in an editor tab: the Simple Browser where this VS Code
// has no integrated browser (code-server has none in 1.100 or 1.139), on the mount's external URL.
import * as assert from 'node:assert';
import * as vscode from 'vscode';
import type { PreviewOpened } from '../../../src/ui/preview';
import { firstFolder, getApi, waitFor } from '../helpers';

function simpleBrowserTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((group) => group.tabs)
    .filter((tab) => tab.input instanceof vscode.TabInputWebview && tab.input.viewType.includes('simpleBrowser'));
}

describe('open preview', () => {
  before(async () => {
    assert.strictEqual(await vscode.commands.executeCommand('mounts.start', firstFolder().uri), true);
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('mounts.stop', firstFolder().uri);
  });

  it("opens a tree item's mount in the Simple Browser on its external URL", async () => {
    const api = await getApi();
    const node = api.tree.getChildren().find((candidate) => api.tree.getTreeItem(candidate).label === 'hello');
    assert.ok(node, 'the tree lists the hello mount');
    const root = api.engines()[0].engine.url;
    assert.ok(root, 'the server has a URL while serving');
    // The mount's browser URL is the server's external address (a port-forwarding proxy in a remote
    // window, which drops the path) with the mount's own path kept.
    const external = (await vscode.env.asExternalUri(vscode.Uri.parse(root))).toString(true).replace(/\/$/, '') + '/hello';
    const opened = await vscode.commands.executeCommand<PreviewOpened | undefined>('mounts.openPreview', node);
    assert.deepStrictEqual(opened && { via: opened.via, url: opened.url.replace(/\/$/, '') }, { via: 'simpleBrowser', url: external.replace(/\/$/, '') });
    await waitFor('a Simple Browser tab', () => simpleBrowserTabs().length === 1 || undefined);
  });
});
