import * as z from 'zod';
import { requestEngine } from '../engineRequest';
import { defineTool, ToolError } from '../tool';
import type { AgentWorkspace } from '../workspace';

/** A fetch sends a small body: enough for a form or a JSON document, not an upload. */
export const MAX_REQUEST_BODY = 65_536;
/** The start of the answer's body, as much as a model usefully reads. */
export const MAX_ANSWER_BYTES = 65_536;
const DEFAULT_ANSWER_BYTES = 16_384;
/** The request's framing and address are the tool's to set. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'upgrade']);

const TEXT_TYPES = /^(text\/|application\/([\w.+-]*\+)?(json|xml|javascript|x-www-form-urlencoded)\b|image\/svg\+xml)/i;

export const fetchTool = defineTool({
  name: 'fetch',
  title: 'Fetch from the server',
  description:
    "Sends one HTTP request to the workspace's Mounts server and answers its status, headers and the start of its " +
    'body, exactly as a browser on this machine would get them. `path` is a path on that server (e.g. /blog/posts?page=2), ' +
    'never a URL: the tool reaches only the apps Mounts serves. For a mount that answers a host name of its own, ' +
    'give that name as `host`. A body goes out as UTF-8 text (at most 64 KB).',
  input: z.object({
    path: z.string().min(1).max(8192).describe('a path on the server, starting with "/": e.g. /api/users?limit=5'),
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).default('GET'),
    headers: z.record(z.string(), z.string()).optional().describe('request headers; Host, Content-Length and the framing are set by the tool'),
    body: z.string().max(MAX_REQUEST_BODY, { error: `body: at most ${MAX_REQUEST_BODY} characters (a fetch sends a small body)` }).optional(),
    host: z.string().min(1).optional().describe("a mount's host name (from list_mounts), for mounts that answer a host of their own"),
    maxBytes: z.number().int().min(1).max(MAX_ANSWER_BYTES).default(DEFAULT_ANSWER_BYTES).describe(`how much of the body to return (at most ${MAX_ANSWER_BYTES} bytes)`),
    timeout: z.number().min(0.1).max(60).default(10).describe('seconds to wait: no status by then is an error; a body still coming (a stream) is returned as far as it came'),
  }),
  output: z.object({
    url: z.string().describe('the URL requested'),
    status: z.number().int(),
    statusText: z.string(),
    headers: z.record(z.string(), z.string()),
    body: z.string().describe('the start of the body: text, or base64 when `bodyEncoding` says so'),
    bodyEncoding: z.enum(['utf8', 'base64']),
    bodyBytes: z.number().int().describe('bytes of the body returned'),
    truncated: z.boolean().describe('the body went on past maxBytes, or past the timeout'),
  }),
  control: false,
  run: async (workspace, input) => {
    const root = workspace.engine.url;
    if (workspace.engine.state !== 'started' || root === undefined) {
      throw new ToolError(`the server is ${workspace.engine.state}, so nothing answers${workspace.engine.lastError ? ` (${workspace.engine.lastError})` : ''}`);
    }
    checkPath(input.path);
    const headers = checkHeaders(input.headers ?? {});
    const host = input.host === undefined ? undefined : checkHost(workspace, input.host);
    const body = input.body === undefined ? undefined : Buffer.from(input.body, 'utf8');
    if (body && body.length > MAX_REQUEST_BODY) throw new ToolError(`body: ${body.length} bytes as UTF-8; a fetch sends at most ${MAX_REQUEST_BODY}`);
    const answer = await requestEngine({ root, method: input.method, path: input.path, host, headers, body, maxBytes: input.maxBytes, timeoutMs: input.timeout * 1000 });
    const text = isText(answer.headers['content-type'], answer.body);
    return {
      url: answer.url,
      status: answer.status,
      statusText: answer.statusText,
      headers: answer.headers,
      body: answer.body.toString(text ? 'utf8' : 'base64'),
      bodyEncoding: text ? ('utf8' as const) : ('base64' as const),
      bodyBytes: answer.body.length,
      truncated: answer.truncated,
    };
  },
});

/**
 * Only a path on the server: a URL or a `//host` form would name another server to any client
 * that resolved it, and characters Node refuses in a request line get a message of ours.
 */
function checkPath(path: string): void {
  if (!path.startsWith('/')) {
    throw new ToolError(`path "${path}" is not a path on Mounts' server: it must start with "/" (fetch takes no URL and reaches only the mounts)`);
  }
  if (path.startsWith('//')) {
    throw new ToolError(`path "${path}" starts with "//", which names another host; fetch reaches only Mounts' own server: use a path such as /blog/`);
  }
  const bad = /[\s\x00-\x1f\x7f]/.exec(path);
  if (bad) throw new ToolError(`path has ${JSON.stringify(bad[0])} at character ${bad.index + 1}: percent-encode spaces and control characters`);
}

function checkHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  for (const name of Object.keys(headers)) {
    if (RESERVED_HEADERS.has(name.toLowerCase())) {
      throw new ToolError(`headers: "${name}" is set by the tool${name.toLowerCase() === 'host' ? '; give a mount\'s host name as `host`' : ''}`);
    }
  }
  return { 'accept-encoding': 'identity', ...headers };
}

/** A host name some mount answers for: the only names besides the server's own that reach a mount. */
function checkHost(workspace: AgentWorkspace, host: string): string {
  const hosts = [...new Set(workspace.engine.mounts().flatMap((mount) => (mount.spec.host ? [mount.spec.host] : [])))];
  const wanted = host.toLowerCase();
  if (hosts.includes(wanted)) return wanted;
  throw new ToolError(`host "${host}" is not a mount's host name; ${hosts.length ? `the mounts' host names are ${hosts.join(', ')}` : 'no mount has one (leave host out)'}`);
}

/** Text when the type says so, or when there is no type and the bytes are UTF-8. */
function isText(contentType: string | undefined, body: Buffer): boolean {
  if (contentType !== undefined) return TEXT_TYPES.test(contentType);
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(body);
    return true;
  } catch {
    return false;
  }
}
