/**
 * Proxy mounts: a mount whose app is the forwarder (forwarder.ts) to its target. The forwarder is
 * shared with the kinds that proxy to a process they run (commands, Python apps).
 */
import type { ProxyMountSpec } from '../../spec';
import { readyStatus, type App, type AppFactory } from '../app';
import { createForwarder } from './forwarder';

export const createProxyApp: AppFactory<ProxyMountSpec> = async (spec, context) => {
  const forwarder = createForwarder({
    name: spec.name,
    target: spec.target,
    stripPrefix: spec.stripPrefix,
    timeoutSeconds: spec.timeout,
    secure: spec.secure,
    localAuthority: context.localAuthority?.(),
    logger: context.logger,
  });
  const app: App = {
    handle: (req, res, fail) => forwarder.handle(req, res, fail),
    upgrade: (req, socket, head) => forwarder.upgrade(req, socket, head),
    status: readyStatus(),
    close: () => forwarder.close(),
  };
  return app;
};
