/**
 * WSGI mounts: `{ "prefix": "/blog", "wsgi": "blog:app" }` serves a WSGI callable with Mounts' Python
 * runner (cheroot, waitress or the standard library's server), SCRIPT_NAME and PATH_INFO set as
 * cheroot's PathInfoDispatcher sets them. Everything but the kind is shared with ASGI: `python/app.ts`.
 */
import type { WsgiMountSpec } from '../spec';
import type { AppFactory } from './app';
import { createPythonApp } from './python/app';

export const createWsgiApp: AppFactory<WsgiMountSpec> = (spec, context) => createPythonApp(spec, context);
