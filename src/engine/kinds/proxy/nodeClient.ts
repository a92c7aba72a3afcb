/**
 * The fallback upstream client on node:http's public API, for a Node whose llhttp binding is not
 * where leanClient.ts expects it (llhttp.ts). The same calls and callbacks, about half as fast.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type * as tls from 'node:tls';
import { INVALID_TRANSFER_ENCODING, unrelayableTransferCoding, type ClientOptions, type Endpoint, type UpstreamCall, type UpstreamClient, type CallLink } from './upstream';

const kCall = Symbol('mounts.upstream.call');
type Tagged<T> = T & { [kCall]?: NodeCall };

/** One call in flight on node:http. */
class NodeCall implements CallLink {
  request: http.ClientRequest | undefined = undefined;
  response: http.IncomingMessage | undefined = undefined;
  done = false;
  constructor(
    readonly client: NodeClient,
    readonly endpoint: Endpoint,
    readonly call: UpstreamCall,
  ) {}

  resume(): void {
    // The upstream's clock runs again (see onResponseData).
    const timeoutMs = this.client.options.timeoutMs;
    if (timeoutMs > 0) this.request?.socket?.setTimeout(timeoutMs);
    this.response?.resume();
  }

  abort(): void {
    this.done = true;
    this.call.link = undefined;
    this.request?.destroy();
    this.response?.destroy();
  }
}

export function createNodeClient(options: ClientOptions): UpstreamClient {
  return new NodeClient(options);
}

class NodeClient implements UpstreamClient {
  // Same pool policy as the lean client: LIFO reuse, a cap, idle connections closed before the upstream's.
  private readonly agentOptions: http.AgentOptions = { keepAlive: true, maxSockets: 256, maxFreeSockets: 256, scheduling: 'lifo', timeout: 4000 };
  readonly http = new http.Agent(this.agentOptions);
  readonly https = new https.Agent({ ...this.agentOptions });
  private readonly verifying = new https.Agent({ ...this.agentOptions });

  constructor(readonly options: ClientOptions) {}

  send(endpoint: Endpoint, call: UpstreamCall): void {
    this.start(new NodeCall(this, endpoint, call), false);
  }

  start(state: NodeCall, retried: boolean): void {
    const { endpoint, call } = state;
    const headers = [...call.headers];
    if (call.framing === 'length') headers.push('Content-Length', call.body.headers['content-length'] ?? '0');
    else if (call.framing === 'chunked') headers.push('Transfer-Encoding', 'chunked');
    const options: https.RequestOptions = {
      host: endpoint.hostname,
      port: endpoint.port,
      method: call.method,
      path: call.path,
      headers,
      timeout: this.options.timeoutMs || undefined,
    };
    let request: Tagged<http.ClientRequest>;
    if (endpoint.tls) {
      options.agent = endpoint.verify ? this.verifying : this.https;
      options.rejectUnauthorized = endpoint.verify;
      // Passed on to tls.connect, though https.RequestOptions does not declare it.
      if (endpoint.secureContext) (options as tls.ConnectionOptions).secureContext = endpoint.secureContext;
      request = https.request(options);
    } else {
      options.agent = this.http;
      request = http.request(options);
    }
    request[kCall] = state;
    state.request = request;
    call.link = state;
    request.on('response', onResponse);
    request.on('error', function (this: Tagged<http.ClientRequest>, error: NodeJS.ErrnoException) {
      onError(this, error, retried);
    });
    request.on('timeout', onTimeout);
    if (call.framing !== 'none') call.body.pipe(request);
    else request.end();
  }

  async close(): Promise<void> {
    for (const agent of [this.http, this.https, this.verifying]) agent.destroy();
  }
}

function onResponse(this: Tagged<http.ClientRequest>, response: Tagged<http.IncomingMessage>): void {
  const state = this[kCall]!;
  if (state.done) {
    response.destroy();
    return;
  }
  const status = response.statusCode ?? 502;
  const bodyless = state.call.method === 'HEAD' || status === 204 || status === 304;
  // Some servers send the body anyway, even after the socket went back to the pool (the lean
  // client's `suspect`): node:http's pool cannot tell, so the socket is not reused. node:http
  // reads `shouldKeepAlive` when the answer ends, as it does for an upstream's Connection: close.
  if (bodyless) (this as { shouldKeepAlive?: boolean }).shouldKeepAlive = false;
  const refused = bodyless ? undefined : unrelayableTransferCoding(response.rawHeaders);
  if (refused !== undefined) {
    state.abort();
    response.destroy();
    state.call.onFail(Object.assign(new Error(refused), { code: INVALID_TRANSFER_ENCODING }), false, false);
    return;
  }
  state.response = response;
  response[kCall] = state;
  state.call.onHead(status, response.statusMessage ?? '', response.rawHeaders);
  if (state.done) return;
  response.on('data', onResponseData);
  response.on('end', onResponseEnd);
  response.on('error', onResponseError);
}

function onResponseData(this: Tagged<http.IncomingMessage>, chunk: Buffer): void {
  const state = this[kCall]!;
  if (state.done || state.call.onData(chunk)) return;
  this.pause();
  // Held back for a slow client, the upstream is not the one that is silent: its timeout waits.
  if (state.client.options.timeoutMs > 0) state.request?.socket?.setTimeout(0);
}

function onResponseEnd(this: Tagged<http.IncomingMessage>): void {
  const state = this[kCall]!;
  if (state.done) return;
  state.done = true;
  state.call.link = undefined;
  const body = state.call.body;
  if (state.call.framing !== 'none' && !body.readableEnded) {
    body.unpipe();
    state.call.onBodyAbandoned();
  }
  state.call.onEnd(undefined);
}

function onResponseError(this: Tagged<http.IncomingMessage>, error: NodeJS.ErrnoException): void {
  const state = this[kCall]!;
  if (state.done) return;
  state.done = true;
  state.call.link = undefined;
  state.call.onFail(error, true, false);
}

function onError(request: Tagged<http.ClientRequest>, error: NodeJS.ErrnoException, retried: boolean): void {
  const state = request[kCall]!;
  if (state.done) return;
  if (state.response !== undefined) {
    // An error while the answer was already complete (the body upload failing after it) changes nothing.
    if (state.response.complete) return;
    state.done = true;
    state.call.link = undefined;
    state.call.onFail(error, true, false);
    return;
  }
  if (request.reusedSocket && error.code === 'ECONNRESET' && state.call.retryable && !retried) {
    state.client.start(state, true);
    return;
  }
  state.done = true;
  state.call.link = undefined;
  state.call.onFail(error, false, false);
}

function onTimeout(this: Tagged<http.ClientRequest>): void {
  const state = this[kCall]!;
  this.destroy();
  if (state.done) return;
  state.done = true;
  state.response?.destroy();
  state.call.link = undefined;
  state.call.onFail(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }), state.response !== undefined, true);
}
