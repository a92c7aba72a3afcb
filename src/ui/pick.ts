/**
 * Turning a command's argument into the folders or mount it acts on: a tree node, a folder URI
 * (tests, other extensions), or nothing — then one folder acts at once and several ask.
 */
import * as vscode from 'vscode';
import type { MountsFolder, MountsFolders } from './folders';
import type { MountNode, TreeNode } from './treeItems';

export function isTreeNode(value: unknown): value is TreeNode {
  return typeof value === 'object' && value !== null && 'type' in value && 'folder' in value;
}

export function isMountNode(value: unknown): value is MountNode {
  return isTreeNode(value) && value.type === 'mount';
}

/** The folder a command argument names, if it names one. */
export function folderOf(folders: MountsFolders, arg: unknown): MountsFolder | undefined {
  if (isTreeNode(arg)) return folders.get(arg.folder.folder.uri) ?? arg.folder;
  if (arg instanceof vscode.Uri) return folders.get(arg) ?? folders.byConfig(arg);
  return undefined;
}

/**
 * The folders a command acts on: the one named by `arg`, else those among `candidates`. One
 * candidate acts at once; several ask, with "all" first when `allowAll`.
 */
export async function pickFolders(
  folders: MountsFolders,
  arg: unknown,
  candidates: MountsFolder[],
  placeHolder: string,
  allowAll: boolean,
): Promise<MountsFolder[]> {
  const named = folderOf(folders, arg);
  if (named) return [named];
  if (candidates.length <= 1) return candidates;
  type Item = vscode.QuickPickItem & { readonly targets: MountsFolder[] };
  const items: Item[] = candidates.map((folder) => ({
    label: folder.folder.name,
    description: folder.state,
    detail: folder.configUri.fsPath,
    targets: [folder],
  }));
  if (allowAll) items.unshift({ label: 'All folders', description: candidates.map((f) => f.folder.name).join(', '), targets: candidates });
  const choice = await vscode.window.showQuickPick(items, { placeHolder });
  return choice?.targets ?? [];
}
