/**
 * Problems of mounts.json in the Problems panel, as the user types: an open config document is
 * validated from its unsaved text (debounced), a closed one shows what the engine last read.
 */
import * as vscode from 'vscode';
import { parseConfig } from '../engine/config';
import type { ConfigProblem } from '../engine/spec';
import { KeyedDebouncer } from './debounce';
import { Disposable } from './dispose';
import type { MountsFolders } from './folders';
import { configUriOf } from './settings';

const DEBOUNCE_MS = 250;

export class ConfigDiagnostics extends Disposable {
  private readonly collection = this._register(vscode.languages.createDiagnosticCollection('mounts'));
  private readonly validation = this._register(new KeyedDebouncer(DEBOUNCE_MS));

  constructor(private readonly folders: MountsFolders) {
    super();
    this._register(vscode.workspace.onDidOpenTextDocument((document) => this.validateNow(document)));
    this._register(vscode.workspace.onDidChangeTextDocument((event) => this.validateSoon(event.document)));
    this._register(vscode.workspace.onDidCloseTextDocument((document) => this.showEngineProblems(document.uri)));
    this._register(folders.onDidChangeMounts((folder) => this.showEngineProblems(folder.configUri)));
    this._register(folders.onDidChangeFolders(() => this.refreshAll()));
    this.refreshAll();
  }

  /** Every config: from its open document when there is one, else from the engine. */
  private refreshAll(): void {
    this.collection.clear();
    for (const folder of this.folders.list()) this.showEngineProblems(folder.configUri);
    for (const document of vscode.workspace.textDocuments) this.validateNow(document);
  }

  private validateSoon(document: vscode.TextDocument): void {
    if (!isConfigDocument(document)) return;
    this.validation.schedule(document.uri.toString(), () => this.validateNow(document));
  }

  private validateNow(document: vscode.TextDocument): void {
    if (!isConfigDocument(document) || document.isClosed) return;
    const { problems } = parseConfig(document.getText(), document.uri.fsPath);
    this.collection.set(
      document.uri,
      problems.map((problem) => toDiagnostic(problem, new vscode.Range(document.positionAt(problem.offset), document.positionAt(problem.offset + problem.length)))),
    );
  }

  private showEngineProblems(uri: vscode.Uri): void {
    const open = vscode.workspace.textDocuments.find((document) => document.uri.toString() === uri.toString());
    if (open && !open.isClosed) return;
    const folder = this.folders.byConfig(uri);
    if (!folder) {
      this.collection.delete(uri);
      return;
    }
    this.collection.set(
      uri,
      folder.engine.problems.map((problem) => {
        // Without the text, a range can only be rebuilt from the line and column.
        const start = new vscode.Position(problem.line - 1, problem.column - 1);
        return toDiagnostic(problem, new vscode.Range(start, start.translate(0, problem.length)));
      }),
    );
  }
}

export function isConfigDocument(document: vscode.TextDocument): boolean {
  const folder = vscode.workspace.getWorkspaceFolder(document.uri);
  return !!folder && configUriOf(folder).toString() === document.uri.toString();
}

function toDiagnostic(problem: ConfigProblem, range: vscode.Range): vscode.Diagnostic {
  const diagnostic = new vscode.Diagnostic(range, problem.message, vscode.DiagnosticSeverity.Error);
  diagnostic.source = 'mounts';
  if (problem.field) diagnostic.code = problem.field;
  return diagnostic;
}
