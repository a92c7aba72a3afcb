/**
 * ASGI mounts: `{ "prefix": "/api", "asgi": "main:app" }` serves an ASGI app with Mounts' Python
 * runner (uvicorn, else hypercorn), root_path and path as the ASGI spec has them, lifespan events
 * run. Everything but the kind is shared with WSGI: `python/app.ts`.
 */
import type { AsgiMountSpec } from '../spec';
import type { AppFactory } from './app';
import { createPythonApp } from './python/app';

export const createAsgiApp: AppFactory<AsgiMountSpec> = (spec, context) => createPythonApp(spec, context);
