/**
 * One render function per kind of tree node: each builds its TreeItem from state alone.
 * `contextValue`s are `mountsFolder.<state>`, `mount.<kind>[.<capability>…].<state>` (e.g.
 * `mount.module.reloadable.revealable.serving`) and `mountsProblems`; package.json menus key on the
 * capabilities and the state, never on the kind's name, which is there for people and tests.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { describeRuntime, describeTarget, kindOf, type MountInfo, type MountSpec } from '../engineProcess/client';
import type { MountsFolder } from './folders';
import { describeFolderState, describeMountState, describeProcess, mountContextValue, mountStateWord } from './state';

export type TreeNode = FolderNode | MountNode | ProblemsNode;

export interface FolderNode {
  readonly type: 'folder';
  readonly folder: MountsFolder;
}

export interface MountNode {
  readonly type: 'mount';
  readonly folder: MountsFolder;
  readonly mount: MountInfo;
}

export interface ProblemsNode {
  readonly type: 'problems';
  readonly folder: MountsFolder;
}

export function renderNode(node: TreeNode): vscode.TreeItem {
  switch (node.type) {
    case 'folder':
      return renderFolder(node);
    case 'mount':
      return renderMount(node);
    case 'problems':
      return renderProblems(node);
  }
}

function renderFolder({ folder }: FolderNode): vscode.TreeItem {
  const item = new vscode.TreeItem(folder.folder.name, vscode.TreeItemCollapsibleState.Expanded);
  item.id = `folder:${folder.folder.uri.toString()}`;
  const url = folder.engine.url;
  item.description = folder.state === 'serving' && url ? `serving at ${url}` : describeFolderState(folder.state);
  item.iconPath = new vscode.ThemeIcon(folder.state === 'error' ? 'error' : folder.state === 'unresponsive' ? 'warning' : 'root-folder');
  item.contextValue = `mountsFolder.${folder.state}`;
  item.tooltip = folderTooltip(folder);
  return item;
}

/** The config, which Node serves it (and which process), and what went wrong last, with the crash's last lines. */
export function folderTooltip(folder: MountsFolder): string {
  const { engine } = folder;
  const lines = [folder.configUri.fsPath];
  if (engine.runtime) lines.push(`${describeRuntime(engine.runtime)}${engine.pid === undefined ? '' : `, engine process ${engine.pid}`}`);
  if (engine.inspectorUrl) lines.push(`debuggable: inspector at ${engine.inspectorUrl}`);
  if (folder.state === 'unresponsive') lines.push('The engine process has not answered for 5 s. Restart ends it and starts a new one.');
  if (engine.lastError) lines.push(engine.lastError);
  if (engine.crash?.lastLines.length) lines.push('Last lines:', ...engine.crash.lastLines);
  return lines.join('\n');
}

function renderMount({ folder, mount }: MountNode): vscode.TreeItem {
  const { spec, status } = mount;
  const item = new vscode.TreeItem(spec.name, vscode.TreeItemCollapsibleState.None);
  item.id = `mount:${folder.folder.uri.toString()}#${mount.id}`;
  // The name defaults to the prefix; saying it twice tells nothing.
  const label = spec.name === mount.id ? '' : `${mount.id} `;
  // A command's process is part of its state: which one runs, and where it listens.
  const child = describeProcess(status);
  item.description = `${label}→ ${describeTarget(spec, path.dirname(folder.configUri.fsPath))} · ${describeMountState(status)}${child ? ` (${child})` : ''}`;
  item.iconPath = iconOf(spec, status.state);
  item.contextValue = mountContextValue(spec, mountStateWord(status));
  item.tooltip = tooltipOf(folder, mount);
  item.command = { title: 'Reveal in mounts.json', command: 'mounts.revealInConfig', arguments: [{ type: 'mount', folder, mount }] };
  return item;
}

function renderProblems({ folder }: ProblemsNode): vscode.TreeItem {
  const count = folder.engine.problems.length;
  const item = new vscode.TreeItem(`${count === 1 ? '1 problem' : `${count} problems`} in ${path.basename(folder.configUri.path)}`);
  item.id = `problems:${folder.folder.uri.toString()}`;
  item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
  item.description = folder.engine.config ? 'serving the last valid version' : '';
  item.tooltip = folder.engine.problems.map((problem) => `${problem.line}:${problem.column} ${problem.message}`).join('\n');
  item.contextValue = 'mountsProblems';
  item.command = { title: 'Show Problems', command: 'workbench.actions.view.problems' };
  return item;
}

function iconOf(spec: MountSpec, state: string): vscode.ThemeIcon {
  const icon = kindOf(spec).icon;
  switch (state) {
    case 'error':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
    case 'starting':
      return new vscode.ThemeIcon('loading~spin');
    case 'refused':
      return new vscode.ThemeIcon('shield', new vscode.ThemeColor('disabledForeground'));
    case 'ready':
      return new vscode.ThemeIcon(icon, new vscode.ThemeColor('charts.green'));
    default:
      return new vscode.ThemeIcon(icon);
  }
}

function tooltipOf(folder: MountsFolder, mount: MountInfo): vscode.MarkdownString {
  const { spec, status } = mount;
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${escape(spec.name)}** — $(${kindOf(spec).icon}) ${spec.kind} mount\n\n`);
  const rows: [string, string | undefined][] = [
    ['Prefix', `\`${mount.id}\``],
    ['Target', `\`${describeTarget(spec, path.dirname(folder.configUri.fsPath))}\``],
    ['State', escape(describeMountState(status))],
    ['URL', mount.url],
    ['Requests', String(mount.requests)],
    ['Process', status.pid === undefined ? undefined : `pid ${status.pid}`],
    ['Port', status.port === undefined ? undefined : String(status.port)],
    ['Last error', mount.lastError && escape(mount.lastError)],
  ];
  for (const [name, value] of rows) if (value !== undefined) md.appendMarkdown(`${name}: ${value}  \n`);
  if (status.detail) {
    md.appendMarkdown(kindOf(spec).capabilities.runsProcess ? 'Last output:\n' : 'Detail:\n');
    md.appendCodeblock(status.detail, 'text');
  }
  return md;
}

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>$]/g, '\\$&');
}
