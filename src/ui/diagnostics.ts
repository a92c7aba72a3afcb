/**
 * Problems of mounts.json in the Problems panel, as the user types: an open config document is
 * validated from its unsaved text (debounced), a closed one shows what the engine last read. Both
 * also show the mounts whose apps did not load at the last start or reload, at their place.
 */
import * as vscode from 'vscode';
import type { ConfigProblem, SourceRange } from '../engine/index';
import { LineIndex, parseConfig } from '../engineProcess/client';
import { KeyedDebouncer } from './debounce';
import { Disposable } from './dispose';
import type { MountsFolder, MountsFolders } from './folders';
import { configUriOf } from './settings';

const DEBOUNCE_MS = 250;

export class ConfigDiagnostics extends Disposable {
  private readonly collection = this._register(vscode.languages.createDiagnosticCollection('mounts'));
  private readonly validation = this._register(new KeyedDebouncer(DEBOUNCE_MS));
  /** Per closed config, which read of its text is the latest: an older one finishing later must not win. */
  private readonly engineReads = new Map<string, number>();
  /** Per config, the engine's problem lists it last showed. */
  private readonly shownFromEngine = new Map<string, { readonly problems: readonly ConfigProblem[]; readonly appProblems: readonly ConfigProblem[] }>();

  constructor(private readonly folders: MountsFolders) {
    super();
    this._register(vscode.workspace.onDidOpenTextDocument((document) => this.validateNow(document)));
    this._register(vscode.workspace.onDidChangeTextDocument((event) => this.validateSoon(event.document)));
    this._register(vscode.workspace.onDidCloseTextDocument((document) => void this.showEngineProblems(document.uri)));
    // Every change of the engine's problems comes with a mounts event (a failed start's too).
    this._register(folders.onDidChangeMounts((folder) => this.refresh(folder)));
    this._register(folders.onDidChangeFolders(() => this.refreshAll()));
    this.refreshAll();
  }

  /** Every config: from its open document when there is one, else from the engine. */
  private refreshAll(): void {
    this.collection.clear();
    for (const folder of this.folders.list()) void this.showEngineProblems(folder.configUri);
    for (const document of vscode.workspace.textDocuments) this.validateNow(document);
  }

  /**
   * One config after a mounts event: from its open document, else the engine. Most mounts events
   * are request counters and app states; the engine replaces its problem lists on every read, so
   * the same lists as last time mean there is nothing new to show.
   */
  private refresh(folder: MountsFolder): void {
    const key = folder.configUri.toString();
    const { problems, appProblems } = folder.engine;
    const shown = this.shownFromEngine.get(key);
    if (shown?.problems === problems && shown.appProblems === appProblems) return;
    this.shownFromEngine.set(key, { problems, appProblems });
    const document = openDocument(folder.configUri);
    if (document) this.validateNow(document);
    else void this.showEngineProblems(folder.configUri);
  }

  private validateSoon(document: vscode.TextDocument): void {
    if (!isConfigDocument(document)) return;
    this.validation.schedule(document.uri.toString(), () => this.validateNow(document));
  }

  private validateNow(document: vscode.TextDocument): void {
    if (!isConfigDocument(document) || document.isClosed) return;
    const { problems } = parseConfig(document.getText(), document.uri.fsPath);
    // Apps that did not load were found in the saved file: their places hold while nothing is unsaved.
    const appProblems = document.isDirty ? [] : (this.folders.byConfig(document.uri)?.engine.appProblems ?? []);
    this.collection.set(
      document.uri,
      [...problems, ...appProblems].map((problem) =>
        toDiagnostic(problem, new vscode.Range(document.positionAt(problem.offset), document.positionAt(problem.offset + problem.length))),
      ),
    );
  }

  /**
   * A config no editor has open: the engine's problems, placed in the file's text on disk. Only
   * that text knows where a problem spanning several lines ends.
   */
  private async showEngineProblems(uri: vscode.Uri): Promise<void> {
    if (openDocument(uri)) return;
    const key = uri.toString();
    // Counted before anything else, so a read still in flight for this file never lands after this.
    const read = (this.engineReads.get(key) ?? 0) + 1;
    this.engineReads.set(key, read);
    const folder = this.folders.byConfig(uri);
    if (!folder) {
      this.collection.delete(uri);
      return;
    }
    const problems = [...folder.engine.problems, ...folder.engine.appProblems];
    const text = problems.length ? await readText(uri) : undefined;
    // A later call, or the document opening meanwhile, has newer problems to show.
    if (this.isDisposed || this.engineReads.get(key) !== read || openDocument(uri)) return;
    const lines = text === undefined ? undefined : new LineIndex(text);
    this.collection.set(
      uri,
      problems.map((problem) => toDiagnostic(problem, rangeOf(problem, lines))),
    );
  }
}

function openDocument(uri: vscode.Uri): vscode.TextDocument | undefined {
  const key = uri.toString();
  return vscode.workspace.textDocuments.find((document) => document.uri.toString() === key && !document.isClosed);
}

async function readText(uri: vscode.Uri): Promise<string | undefined> {
  try {
    // Keep a byte order mark, as the engine's read does: offsets count it.
    return new TextDecoder('utf-8', { ignoreBOM: true }).decode(await vscode.workspace.fs.readFile(uri));
  } catch {
    return undefined;
  }
}

/**
 * Where `problem` is. The engine gives its start as a line and column; its end needs the text.
 * Without the text, or when the file changed since the engine read it (the start no longer
 * agrees), the range ends on the start's line: the engine reads the changed file and this runs again.
 */
function rangeOf(problem: SourceRange, lines: LineIndex | undefined): vscode.Range {
  const start = new vscode.Position(problem.line - 1, problem.column - 1);
  const at = lines?.rangeAt(problem.offset, 0);
  if (!lines || at?.line !== problem.line || at.column !== problem.column) {
    return new vscode.Range(start, start.translate(0, problem.length));
  }
  const end = lines.rangeAt(problem.offset + problem.length, 0);
  return new vscode.Range(start, new vscode.Position(end.line - 1, end.column - 1));
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
