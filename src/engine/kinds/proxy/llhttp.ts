/**
 * Node's own llhttp binding, the parser behind node:http, for reading upstream responses without
 * node:http's client. It is not a public API: `require('_http_common').HTTPParser` has kept this
 * shape from Node 12 to 24 (test/engine/proxy-llhttp.test.ts pins it on every Node the tests run
 * on), and unlike `process.binding('http_parser')` it warns about nothing. When it is missing or
 * its shape changed, `loadHttpParser()` returns undefined and the proxy uses node:http's client.
 */

/** One native parser, as `_http_common` exposes it; callbacks are set on numbered slots. */
export interface NativeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  /** Bytes parsed, or the parse error (with `code` and `reason`). */
  execute(data: Buffer): number | Error;
  /** End of input: completes a read-until-close body, or returns the error of a cut message. */
  finish(): undefined | Error;
  close(): void;
  [slot: number]: unknown;
}

export interface HttpParserBinding {
  new (): NativeParser;
  readonly RESPONSE: number;
  readonly kOnMessageBegin: number;
  readonly kOnHeaders: number;
  readonly kOnHeadersComplete: number;
  readonly kOnBody: number;
  readonly kOnMessageComplete: number;
  readonly kLenientNone: number;
}

/** `kOnHeadersComplete(versionMajor, versionMinor, headers, method, url, statusCode, statusMessage, upgrade, shouldKeepAlive)`. */
export type HeadersComplete = (
  this: NativeParser,
  versionMajor: number,
  versionMinor: number,
  headers: string[] | undefined,
  method: unknown,
  url: unknown,
  statusCode: number,
  statusMessage: string,
  upgrade: boolean,
  shouldKeepAlive: boolean,
) => number;

/** The binding, or undefined when this Node does not have it in the shape this client speaks. */
export function loadHttpParser(from: () => unknown = defaultSource): HttpParserBinding | undefined {
  let candidate: unknown;
  try {
    candidate = from();
  } catch {
    return undefined;
  }
  if (typeof candidate !== 'function') return undefined;
  const binding = candidate as HttpParserBinding;
  const slots = [binding.RESPONSE, binding.kOnMessageBegin, binding.kOnHeaders, binding.kOnHeadersComplete, binding.kOnBody, binding.kOnMessageComplete, binding.kLenientNone];
  if (!slots.every((slot) => typeof slot === 'number')) return undefined;
  const proto = binding.prototype as Partial<NativeParser> | undefined;
  const methods = ['initialize', 'execute', 'finish', 'close'] as const;
  if (proto === undefined || !methods.every((name) => typeof proto[name] === 'function')) return undefined;
  return binding;
}

function defaultSource(): unknown {
  return (require('_http_common') as { HTTPParser?: unknown }).HTTPParser;
}

const copyChecks = new WeakMap<HttpParserBinding, boolean>();

/**
 * Whether the parser hands out body pieces as copies rather than views of the bytes it was given
 * (Node's binding copies them; test/engine/proxy-internals.test.ts pins that on every Node the
 * tests run on): only then may the client parse from a buffer it reuses for the next read.
 * Checked once per binding, on a made-up answer.
 */
export function bodiesAreCopies(binding: HttpParserBinding): boolean {
  let copies = copyChecks.get(binding);
  if (copies !== undefined) return copies;
  copies = false;
  try {
    const input = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx');
    const parser = new binding();
    parser.initialize(binding.RESPONSE, {}, 0, binding.kLenientNone);
    parser[binding.kOnHeadersComplete] = () => 0;
    parser[binding.kOnBody] = (piece: Buffer) => {
      input[input.length - 1] = 0x79; // 'y': a copy still reads 'x'
      copies = piece.length === 1 && piece[0] === 0x78;
    };
    parser[binding.kOnMessageComplete] = () => undefined;
    parser.execute(input);
    parser.close();
  } catch {
    copies = false;
  }
  copyChecks.set(binding, copies);
  return copies;
}
