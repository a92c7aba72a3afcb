/** Picks the upstream client for this Node: the lean one when it can, node:http's otherwise. */
import { loadHttpParser, type HttpParserBinding } from './llhttp';
import { createLeanClient } from './leanClient';
import { createNodeClient } from './nodeClient';
import type { ClientOptions, UpstreamClient } from './upstream';

/** The lean client when Node's llhttp binding is there, node:http's client otherwise. */
export function createUpstreamClient(options: ClientOptions, load: () => HttpParserBinding | undefined = loadHttpParser): UpstreamClient {
  const binding = load();
  return binding === undefined ? createNodeClient(options) : createLeanClient(options, binding);
}
