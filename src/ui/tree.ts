/**
 * The Mounts view: one item per mount, grouped by folder when the workspace has several folders
 * with a config. A config with problems adds an item that leads to them. With no config at all
 * the view is empty and package.json's welcome content offers to create one.
 */
import * as vscode from 'vscode';
import { Disposable } from './dispose';
import type { MountsFolder, MountsFolders } from './folders';
import { renderNode, type TreeNode } from './treeItems';

export const VIEW_ID = 'mounts.apps';

export class MountsTreeProvider extends Disposable implements vscode.TreeDataProvider<TreeNode> {
  private readonly _onDidChangeTreeData = this._register(new vscode.EventEmitter<TreeNode | undefined>());
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;

  constructor(private readonly folders: MountsFolders) {
    super();
    const refresh = () => this._onDidChangeTreeData.fire(undefined);
    this._register(folders.onDidChangeFolders(refresh));
    this._register(folders.onDidChangeMounts(refresh));
    this._register(folders.onDidChangeState(refresh));
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return renderNode(node);
  }

  getChildren(node?: TreeNode): TreeNode[] {
    if (!node) {
      const folders = this.folders.list();
      // A config that never parsed has nothing to list: the welcome view explains and links to the problems.
      if (folders.length === 1) return folders[0].engine.config ? this.childrenOf(folders[0]) : [];
      return folders.map((folder) => ({ type: 'folder', folder }));
    }
    return node.type === 'folder' ? this.childrenOf(node.folder) : [];
  }

  getParent(node: TreeNode): TreeNode | undefined {
    if (node.type === 'folder' || this.folders.list().length === 1) return undefined;
    return { type: 'folder', folder: node.folder };
  }

  private childrenOf(folder: MountsFolder): TreeNode[] {
    const problems: TreeNode[] = folder.engine.problems.length ? [{ type: 'problems', folder }] : [];
    return [...problems, ...folder.engine.mounts().map((mount): TreeNode => ({ type: 'mount', folder, mount }))];
  }
}

/**
 * The view. With one folder there is no folder item to carry its tooltip: the view's own
 * description says which Node serves it (several folders: each folder item's tooltip does).
 */
export function createTreeView(provider: MountsTreeProvider, folders: MountsFolders): vscode.Disposable & { readonly view: vscode.TreeView<TreeNode> } {
  const view = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: provider, showCollapseAll: false });
  const render = () => {
    const all = folders.list();
    const runtime = all.length === 1 && all[0].engine.pid !== undefined ? all[0].engine.runtime : undefined;
    view.description = runtime ? `Node ${runtime.version}` : undefined;
  };
  const subscription = folders.onDidChangeState(render);
  return { view, dispose: () => vscode.Disposable.from(subscription, view).dispose() };
}
