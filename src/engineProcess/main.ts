/**
 * The engine process: one folder's engine, hosted beside the editor on the user's Node and driven
 * over JSON-RPC on the IPC channel of `fork()` (`protocol.ts`). The editor's client (`client.ts`) starts it;
 * this is plain Node and never imports 'vscode'. User app code runs here, never in the editor.
 *
 * - Requests run in arrival order against one Engine; each is answered after the pending batch, so
 *   the client holds the state a request led to when its promise resolves.
 * - What the engine reports is batched (every FLUSH_MS at most): its snapshot when it changed, log
 *   lines, app errors. Access-log lines beyond MAX_ACCESS_LINES per batch are counted, not sent.
 * - An error an app throws outside a request (from a timer, an event handler, a promise nobody
 *   awaits) leaves the process in a state that Node's documentation calls unsafe to resume, and a
 *   plain `node app.js` would end on it: it is reported with its stack, then the process exits with
 *   APP_ERROR_EXIT_CODE. The editor shows the folder in error with that reason, and Restart starts a
 *   fresh process; the command mounts end with this one, as on any exit.
 * - When the IPC channel closes, the editor is gone (the kernel closes it even when the extension
 *   host is SIGKILLed): the engine stops and the process exits within PARENT_GONE_EXIT_MS. Command
 *   supervisors see this process go the same way and end their commands.
 *
 * This file is an entry point of its own (esbuild bundles it as dist/engineProcess.js; tsc emits it
 * to out/): it imports only `node:*`, vscode-jsonrpc, the engine's public entry and the protocol.
 */
import * as inspector from 'node:inspector';
import { createMessageConnection, ErrorCodes, IPCMessageReader, ResponseError } from 'vscode-jsonrpc/node';
import { describeError, Engine, EngineStartError, errorMessage, type Logger } from '../engine/index';
import { ChannelWriter } from './channelWriter';
import { APP_ERROR_EXIT_CODE, notifications, requests, type AppError, type Batch, type EngineProcessOptions, type EngineSnapshot, type LogLine, type WireError } from './protocol';

/** At most this often a batch: four a second keeps the editor's share of a load near nothing. */
const FLUSH_MS = 250;
/** Access lines per batch; a person reads a few hundred lines a second at most, a load makes tens of thousands. */
const MAX_ACCESS_LINES = 100;
/** Other lines per batch (a command printing in a loop); errors are never dropped. */
const MAX_OTHER_LINES = 1000;
/** The editor is gone: the engine gets this long to stop before the process exits anyway. */
const PARENT_GONE_EXIT_MS = 1500;
/** The report of such an error gets this long to reach the editor before the process exits anyway. */
const APP_ERROR_REPORT_MS = 1000;

const options = JSON.parse(process.argv[2] ?? '{}') as EngineProcessOptions;

let log: LogLine[] = [];
let appErrors: AppError[] = [];
let accessLines = 0;
let linesDropped = 0;
let lastSnapshotJson = '';
let flushTimer: NodeJS.Timeout | undefined;

const writer = new ChannelWriter();
const connection = createMessageConnection(new IPCMessageReader(process), writer);

/** Sends the batch; `sent` runs once it is on its way, or at once when the editor is gone. */
function sendBatch(batch: Batch, sent?: () => void): void {
  // The editor may vanish at any moment: a failed send is not an error here.
  connection.sendNotification(notifications.batch, batch).catch(() => undefined);
  if (sent) void writer.drained().then(sent);
}

function push(line: LogLine): void {
  const access = line.level === 'access';
  if (access ? accessLines >= MAX_ACCESS_LINES : line.level !== 'error' && log.length - accessLines >= MAX_OTHER_LINES) {
    linesDropped++;
  } else {
    log.push(line);
    if (access) accessLines++;
  }
  scheduleFlush();
}

const logger: Logger = {
  info: (message, source) => push({ level: 'info', message, source }),
  warn: (message, source) => push({ level: 'warn', message, source }),
  error: (message, error, source) => push({ level: 'error', message, source, error: error === undefined ? undefined : describeError(error) }),
  access: (message) => push({ level: 'access', message }),
};

const engine = new Engine({
  configFile: options.configFile,
  logger,
  restricted: options.restricted,
  accessLog: options.accessLog,
  liveReload: options.liveReload,
  ...(options.python ? { python: options.python } : {}),
  port: options.port,
  ...(options.https ? { https: true } : {}),
});

function snapshot(): EngineSnapshot {
  return {
    state: engine.state,
    lastError: engine.lastError,
    problems: engine.problems,
    appProblems: engine.appProblems,
    config: engine.config,
    mounts: engine.mounts(),
    port: engine.port,
    url: engine.url,
  };
}

function scheduleFlush(): void {
  flushTimer ??= setTimeout(flush, FLUSH_MS);
}

/** Sends what is pending in one message: the snapshot if it changed, the lines, the app errors. */
function flush(sent?: () => void): void {
  clearTimeout(flushTimer);
  flushTimer = undefined;
  const current = snapshot();
  const json = JSON.stringify(current);
  const changed = json !== lastSnapshotJson;
  if (!changed && log.length === 0 && appErrors.length === 0 && linesDropped === 0) {
    sent?.();
    return;
  }
  lastSnapshotJson = json;
  sendBatch({ snapshot: changed ? current : undefined, log, linesDropped, appErrors }, sent);
  log = [];
  appErrors = [];
  accessLines = 0;
  linesDropped = 0;
}

engine.onDidChangeState(scheduleFlush);
engine.onDidChangeMounts(scheduleFlush);

function toWire(error: unknown): WireError {
  if (error instanceof EngineStartError) return { name: error.name, message: error.message, reason: error.reason, problems: error.problems };
  return { name: error instanceof Error ? error.name : 'Error', message: errorMessage(error) };
}

/**
 * Runs a request's work and sends the batch it led to before the answer; a failure answers with
 * the engine's error as a WireError (vscode-jsonrpc would otherwise send its own wording).
 */
async function answer<R>(work: () => Promise<R> | R): Promise<R> {
  try {
    const result = await work();
    flush();
    return result;
  } catch (error) {
    flush();
    throw new ResponseError<WireError>(ErrorCodes.InternalError, errorMessage(error), toWire(error));
  }
}

connection.onRequest(requests.start, () => answer(() => engine.start()));
connection.onRequest(requests.stop, () =>
  answer(() => engine.stop()).finally(() => {
    // A stopped engine has nothing left to host: the process ends once the answer, stopped or
    // failed, is on its way (vscode-jsonrpc writes it after this settles: wait for the turn after).
    setImmediate(() => void writer.drained().then(() => process.exit(0)));
  }),
);
connection.onRequest(requests.reloadConfig, () => answer(() => engine.reload()));
connection.onRequest(requests.reloadApp, ({ id }) => answer(() => engine.reloadApp(id)));
connection.onRequest(requests.fileChanged, ({ file }) => answer(() => engine.fileChanged(file)));
connection.onRequest(requests.setRestricted, ({ restricted }) => answer(() => engine.setRestricted(restricted)));
connection.onRequest(requests.setAccessLog, ({ enabled }) => answer(() => engine.setAccessLog(enabled)));
connection.onRequest(requests.setLiveReload, ({ enabled }) => answer(() => engine.setLiveReload(enabled)));
connection.onRequest(requests.setPython, ({ python }) => answer(() => engine.setPython(python)));
connection.onRequest(requests.debug, () =>
  answer(() => {
    if (!inspector.url()) inspector.open(0, '127.0.0.1');
    const url = inspector.url();
    if (url === undefined) throw new Error('the inspector did not open');
    return url;
  }),
);
connection.onNotification(notifications.ping, ({ seq }) => {
  connection.sendNotification(notifications.pong, { seq }).catch(() => undefined);
});
connection.listen();

let leaving = false;
function leave(): void {
  if (leaving) return;
  leaving = true;
  setTimeout(() => process.exit(1), PARENT_GONE_EXIT_MS).unref();
  void engine.stop().finally(() => process.exit(0));
}
process.on('disconnect', leave);
process.on('SIGTERM', leave);
process.on('SIGINT', leave);
process.on('SIGHUP', leave);

let endingOnAppError = false;
function endOnAppError(kind: AppError['kind'], error: unknown): void {
  // A second error while the first is on its way (a timer firing again) is in the same report's wake.
  if (endingOnAppError) return;
  endingOnAppError = true;
  appErrors.push({ kind, error: describeError(error) });
  setTimeout(() => process.exit(APP_ERROR_EXIT_CODE), APP_ERROR_REPORT_MS).unref();
  flush(() => process.exit(APP_ERROR_EXIT_CODE));
}
process.on('uncaughtException', (error) => endOnAppError('uncaught error', error));
process.on('unhandledRejection', (reason) => endOnAppError('unhandled promise rejection', reason));

connection.sendNotification(notifications.hello, { pid: process.pid, nodeVersion: process.version, execPath: process.execPath, inspectorUrl: inspector.url() }).catch(() => undefined);
