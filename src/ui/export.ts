/**
 * The `mounts.export` command: writes the Caddy, nginx or Gateway API export of a folder's
 * mounts.json next to it and opens it. The export is a pure function of mounts.json (it reads that
 * file and runs no workspace code), so it runs here, through the few pure engine functions the
 * engine process's client offers the editor, whichever process serves the folder.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXPORT_FILE_NAMES, ExportConfigError, exportMounts, isExportTarget, type ExportTarget } from '../engineProcess/client';

const TARGETS: readonly (vscode.QuickPickItem & { target: ExportTarget })[] = [
  { target: 'caddy', label: 'Caddy', description: EXPORT_FILE_NAMES.caddy, detail: 'A Caddyfile: sites, file_server and reverse_proxy' },
  { target: 'nginx', label: 'nginx', description: EXPORT_FILE_NAMES.nginx, detail: 'server blocks for http {}: alias, try_files and proxy_pass' },
  { target: 'gateway', label: 'Kubernetes Gateway API', description: EXPORT_FILE_NAMES.gateway, detail: 'HTTPRoutes with placeholder Services' },
];

export function registerExportCommand(): vscode.Disposable {
  return vscode.commands.registerCommand('mounts.export', async (target?: unknown, folderUri?: unknown) => {
    const chosen = isExportTarget(String(target)) ? (target as ExportTarget) : (await vscode.window.showQuickPick(TARGETS, { title: 'Export mounts.json for' }))?.target;
    if (chosen === undefined) return undefined;
    const configFile = await pickConfigFile(folderUri instanceof vscode.Uri ? folderUri : undefined);
    if (configFile === undefined) return undefined;
    try {
      const result = await exportMounts(chosen, configFile);
      const out = vscode.Uri.file(path.join(path.dirname(configFile), EXPORT_FILE_NAMES[chosen]));
      await vscode.workspace.fs.writeFile(out, Buffer.from(result.text, 'utf8'));
      await vscode.window.showTextDocument(out);
      if (result.warnings.length) {
        void vscode.window.showWarningMessage(
          `Exported ${EXPORT_FILE_NAMES[chosen]} with ${result.warnings.length} warning${result.warnings.length === 1 ? '' : 's'}: what it does differently from Mounts is listed at the top of the file.`,
        );
      }
      return out;
    } catch (error) {
      const message = error instanceof ExportConfigError ? error.message : `Cannot export: ${(error as Error).message}`;
      void vscode.window.showErrorMessage(message, { modal: false });
      return undefined;
    }
  });
}

/** The mounts.json of the given folder, of the only folder that has one, or of the folder picked. */
async function pickConfigFile(folderUri: vscode.Uri | undefined): Promise<string | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  const candidates: { folder: vscode.WorkspaceFolder; file: string }[] = [];
  for (const folder of folders) {
    if (folderUri !== undefined && folder.uri.toString() !== folderUri.toString()) continue;
    const configured = vscode.workspace.getConfiguration('mounts', folder.uri).get<string>('configFile')?.trim() || 'mounts.json';
    const file = path.resolve(folder.uri.fsPath, configured);
    try {
      await vscode.workspace.fs.stat(vscode.Uri.file(file));
      candidates.push({ folder, file });
    } catch {
      // No config in this folder: nothing to export there.
    }
  }
  if (candidates.length === 0) {
    void vscode.window.showErrorMessage('No mounts.json to export in this workspace.');
    return undefined;
  }
  if (candidates.length === 1) return candidates[0].file;
  const picked = await vscode.window.showQuickPick(
    candidates.map((candidate) => ({ label: candidate.folder.name, description: candidate.file, file: candidate.file })),
    { title: 'Export the mounts.json of' },
  );
  return picked?.file;
}
