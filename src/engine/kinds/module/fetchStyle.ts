/**
 * Fetch-style apps (`{ fetch(request) }`: Hono and friends) as Node handlers, through
 * @hono/node-server's request listener. Their failures reach the engine's one error path through
 * the request: `handle` puts its `fail` there (`failThroughRequest`), and the listener takes it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeError } from '../../logger';
import type { FailRequest } from '../app';

export type Handler = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => unknown;

const FAIL = Symbol('mounts.fail');
/** Thrown through @hono/node-server after we already answered, so it writes nothing itself. */
const ALREADY_ANSWERED = Symbol('mounts.answered');

/** Whether `handler` reports failures through the request (see `failThroughRequest`). */
export function failsThroughRequest(handler: Handler): boolean {
  return FETCH_HANDLERS.has(handler);
}

/** Where a fetch-style handler finds the request's `fail`. */
export function failThroughRequest(req: IncomingMessage, fail: FailRequest): void {
  (req as unknown as Record<symbol, FailRequest>)[FAIL] = fail;
}

const FETCH_HANDLERS = new WeakSet<Handler>();

type FetchFunction = (request: Request, env: unknown) => Response | Promise<Response>;

export function fetchHandler(fetchFunction: FetchFunction): Handler {
  // Loaded for the first fetch-style app, not at the top: see the yaml package in export/gateway.ts
  // for what loading such packages up front costs every engine process start.
  const { getRequestListener } = require('@hono/node-server') as typeof import('@hono/node-server');
  const listener = getRequestListener(
    (request, env) => {
      const fail = (env.incoming as unknown as Record<symbol, FailRequest>)[FAIL];
      const answered = (error: unknown): never => {
        fail(error);
        throw ALREADY_ANSWERED;
      };
      try {
        const response = fetchFunction(request, env);
        return response instanceof Promise ? response.catch(answered) : response;
      } catch (error) {
        return answered(error);
      }
    },
    {
      // The extension host is shared with other extensions: never replace global Request/Response.
      overrideGlobalObjects: false,
      errorHandler: (error) => (error === ALREADY_ANSWERED ? undefined : new Response(describeError(error), { status: 500 })),
    },
  );
  const handler: Handler = (req, res) => listener(req, res);
  FETCH_HANDLERS.add(handler);
  return handler;
}
