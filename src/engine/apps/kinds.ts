/** The app kinds by name: adding a kind is one file in this folder and one line here. */
import type { MountKind, MountSpec } from '../spec';
import type { AppFactory } from './app';
import { createAsgiApp } from './asgi';
import { createCommandApp } from './command';
import { createModuleApp } from './module';
import { createProxyApp } from './proxy';
import { createStaticApp } from './static';
import { createWsgiApp } from './wsgi';

type Factories = { readonly [K in MountKind]: AppFactory<Extract<MountSpec, { kind: K }>> };

export const appFactories: Factories = {
  module: createModuleApp,
  static: createStaticApp,
  proxy: createProxyApp,
  command: createCommandApp,
  wsgi: createWsgiApp,
  asgi: createAsgiApp,
};

/** Kinds whose app is a child process: its environment is where it is told to trust the local CA. */
export const RUNS_CHILD_PROCESS: ReadonlySet<MountKind> = new Set<MountKind>(['command', 'wsgi', 'asgi']);

/** Kinds that run workspace code; refused while the workspace is untrusted. */
export const RUNS_WORKSPACE_CODE: ReadonlySet<MountKind> = new Set<MountKind>(['module', 'command', 'wsgi', 'asgi']);
