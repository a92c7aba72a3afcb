/** What the extension suites share: the API, polling, real HTTP, ports, processes. */
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as vscode from 'vscode';
import type { MountsApi } from '../../src/ui/api';

export const EXTENSION_ID = 'mounts-dev.mounts';

export async function getApi(): Promise<MountsApi> {
  const extension = vscode.extensions.getExtension<MountsApi>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is installed`);
  return extension.activate();
}

// The tests' one poller, shared with the plain-node tests.
export { waitFor } from '../waitFor';

export interface Response {
  readonly status: number;
  readonly body: string;
  readonly headers: http.IncomingHttpHeaders;
}

/** A real GET over loopback, no keep-alive (so a stopped server's port frees at once). */
export function get(url: string, headers: http.OutgoingHttpHeaders = {}, timeout = 5000): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers, timeout }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

/** Whether something accepts connections on 127.0.0.1:port. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A server holding a port, for the port-in-use tests. */
export async function occupyPort(): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

export function firstFolder(): vscode.WorkspaceFolder {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'a workspace folder is open');
  return folder;
}

/** Replaces the whole text of a document through the editor (a WorkspaceEdit), without saving. */
export async function replaceText(document: vscode.TextDocument, text: string): Promise<void> {
  const edit = new vscode.WorkspaceEdit();
  edit.replace(document.uri, new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length)), text);
  assert.ok(await vscode.workspace.applyEdit(edit), 'the edit applies');
}

export function portOf(url: string | undefined): number {
  assert.ok(url, 'a URL');
  return Number(new URL(url).port);
}

/**
 * Whether `pid` is a live process. Read from /proc, not signal 0: a zombie (state Z) has ended but
 * still answers signals until its parent or init reaps it, which can take a while.
 */
export function isAlive(pid: number): boolean {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // `pid (comm) S ...`: comm may hold spaces and parentheses, the state follows the last ')'.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/** Live engine processes serving `configFile`, from the process table (their command line names both). */
export function engineProcesses(configFile: string): number[] {
  const found: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let cmdline: string;
    try {
      cmdline = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8');
    } catch {
      continue; // Gone meanwhile.
    }
    if (cmdline.includes('engineProcess.js') && cmdline.includes(JSON.stringify(configFile).slice(1, -1)) && isAlive(Number(name))) found.push(Number(name));
  }
  return found;
}

/**
 * A WSGI app (which.py, `which:app`) that answers with the interpreter running it: a symlink keeps
 * its own path in sys.executable, so the answer tells which interpreter was chosen.
 */
export const WHICH_PYTHON_APP = `import sys


def app(environ, start_response):
    body = sys.executable.encode()
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])
    return [body]
`;
