/** Opening things for people: the config file at a range, a mount's module or folder. */
import * as vscode from 'vscode';
import type { MountSpec, SourceRange } from '../engine/index';
import { kindOf } from '../engineProcess/client';
import type { MountsFolder } from './folders';

/** Opens the config file, selecting `range` (offsets into the file) when given. */
export async function openConfig(folder: Pick<MountsFolder, 'configUri'>, range?: SourceRange): Promise<void> {
  const document = await vscode.workspace.openTextDocument(folder.configUri);
  const selection = range
    ? new vscode.Range(document.positionAt(range.offset), document.positionAt(range.offset + range.length))
    : undefined;
  await vscode.window.showTextDocument(document, { selection, preview: false });
}

/** Shows what a mount serves: its module file, its folder in the Explorer, or its config entry. */
export async function revealTarget(folder: MountsFolder, spec: MountSpec): Promise<void> {
  const target = kindOf(spec).reveal(spec);
  if (!target) {
    // Nothing in the workspace to open but its entry.
    await openConfig(folder, spec.range);
    return;
  }
  const uri = folder.configUri.with({ path: vscode.Uri.file(target.path).path });
  if (target.open === 'file') await vscode.window.showTextDocument(uri);
  else await vscode.commands.executeCommand('revealInExplorer', uri);
}

export function showProblems(): Thenable<unknown> {
  return vscode.commands.executeCommand('workbench.actions.view.problems');
}
