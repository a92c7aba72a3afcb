/**
 * Each kind's app, by the kind's name. The kinds' descriptors (`kinds/`) carry everything else and
 * stay free of the apps, so the editor can use them; the compiler asks for a new kind's line here.
 */
import type { MountKindName, MountSpec } from '../spec';
import type { AppFactory } from './app';
import { createAsgiApp } from './asgi';
import { createCommandApp } from './command';
import { createModuleApp } from './module';
import { createProxyApp } from './proxy';
import { createStaticApp } from './static';
import { createWsgiApp } from './wsgi';

type Factories = { readonly [K in MountKindName]: AppFactory<Extract<MountSpec, { kind: K }>> };

export const appFactories: Factories = {
  module: createModuleApp,
  static: createStaticApp,
  proxy: createProxyApp,
  command: createCommandApp,
  wsgi: createWsgiApp,
  asgi: createAsgiApp,
};
