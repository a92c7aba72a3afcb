/**
 * The matrix's apps, each as its framework's own template makes it (create-vite's React template is
 * copied from the create-vite package; Next.js, SvelteKit, Astro and Nuxt get the few files their
 * starters write), plus the one line the README tells users to add where a framework reads its base
 * path only from its config. Each names the file an HMR check edits and what the edit changes.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';

export interface MatrixApp {
  /** Also the mount's prefix (`/vite`) and host (`vite.localhost`). */
  readonly name: string;
  /** Writes the app into `dir` (below the framework cache, so that its packages resolve). */
  write(dir: string, cache: string): void;
  /** The mount, less prefix, host and port. */
  readonly mount: Record<string, unknown>;
  /** Text the page shows once its scripts ran (hydrated, mounted). */
  readonly ready: string;
  /**
   * The HMR check: the file edited, the text it replaces and the text that replaces it, which the page
   * then shows (as text, or as its h1's colour); none for the Python apps.
   */
  readonly hmr?: { readonly file: string; readonly from: string; readonly to: string };
  /** Where the app is checked: at a prefix and at a `*.localhost` host, or at a host only (mounted at `/`). */
  readonly modes: readonly ('prefix' | 'host')[];
  /** Whether its pages are checked to reload once after a crash (see where it is false for why not). */
  readonly crash: boolean;
  /** The page the browser checks load, below the prefix ('' for the app's root). */
  readonly page: string;
  /** Another path below the prefix to load as a page (an API route). */
  readonly extraPath?: string;
  /** What else the loaded page does that asks Mounts for something; those requests count too. */
  readonly exercise?: (page: Page) => Promise<void>;
}

function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
}

/** A counter whose value must survive an HMR update: clicked once before each edit. */
const COUNTER_TEXT = 'Count is';

const viteReact: MatrixApp = {
  name: 'vite',
  write(dir, cache) {
    fs.cpSync(path.join(cache, 'node_modules/create-vite/template-react'), dir, { recursive: true });
    fs.renameSync(path.join(dir, '_gitignore'), path.join(dir, '.gitignore'));
    // What the README asks under a prefix: Vite puts its base into URLs in HTML and CSS, not into a
    // root path written in JavaScript (the template's `<use href="/icons.svg#…">`).
    const app = path.join(dir, 'src/App.jsx');
    const source = fs.readFileSync(app, 'utf8');
    assert.ok(source.includes('href="/icons.svg#'), 'the template still links /icons.svg from App.jsx');
    fs.writeFileSync(app, source.replace(/href="\/icons\.svg#([\w-]+)"/g, 'href={`${import.meta.env.BASE_URL}icons.svg#$1`}'));
  },
  mount: { command: 'npm run dev', cwd: 'vite' },
  modes: ['prefix', 'host'],
  crash: true,
  page: '',
  ready: COUNTER_TEXT,
  hmr: { file: 'src/App.jsx', from: 'Get started', to: 'Edited through Mounts' },
};

const next: MatrixApp = {
  name: 'next',
  write(dir) {
    writeFiles(dir, {
      'package.json': JSON.stringify({ name: 'next-app', private: true, scripts: { dev: 'next dev', build: 'next build', start: 'next start' }, dependencies: { next: '*', react: '*', 'react-dom': '*' } }, null, 2),
      // The one line the README asks for under a prefix.
      'next.config.mjs': 'const nextConfig = {\n  basePath: process.env.MOUNT_PREFIX,\n};\n\nexport default nextConfig;\n',
      'app/layout.js': 'export const metadata = { title: "Next through Mounts" };\n\nexport default function RootLayout({ children }) {\n  return (\n    <html lang="en">\n      <body>{children}</body>\n    </html>\n  );\n}\n',
      'app/page.js': 'import Counter from "./counter";\n\nexport default function Home() {\n  return (\n    <main>\n      <h1>Next.js app router</h1>\n      <Counter />\n    </main>\n  );\n}\n',
      // "Count is" shows once hydrated: a click before that would be lost.
      'app/counter.js':
        '"use client";\n\nimport { useEffect, useState } from "react";\n\nexport default function Counter() {\n  const [count, setCount] = useState(0);\n  const [hydrated, setHydrated] = useState(false);\n  useEffect(() => setHydrated(true), []);\n  return (\n    <section>\n      <p>Get started</p>\n      <button type="button" onClick={() => setCount((value) => value + 1)}>\n        {hydrated ? `Count is ${count}` : "Loading"}\n      </button>\n    </section>\n  );\n}\n',
      'app/api/hello/route.js': 'export function GET() {\n  return Response.json({ hello: "from a route handler" });\n}\n',
    });
  },
  mount: { command: 'npm run dev', cwd: 'next', env: { NEXT_TELEMETRY_DISABLED: '1' } },
  modes: ['prefix', 'host'],
  crash: true,
  page: '',
  ready: COUNTER_TEXT,
  hmr: { file: 'app/counter.js', from: 'Get started', to: 'Edited through Mounts' },
  extraPath: 'api/hello',
  // An error opens the dev overlay, which asks the root for the error's stack frames whatever basePath.
  async exercise(page) {
    const frames = page.waitForResponse((response) => new URL(response.url()).pathname === '/__nextjs_original-stack-frames');
    await page.addScriptTag({ content: 'setTimeout(() => { throw new Error("thrown to open the dev overlay"); });' });
    assert.equal((await frames).status(), 200);
  },
};

const sveltekit: MatrixApp = {
  name: 'kit',
  write(dir) {
    writeFiles(dir, {
      'package.json': JSON.stringify({ name: 'kit-app', private: true, type: 'module', scripts: { dev: 'vite dev', build: 'vite build' }, devDependencies: { '@sveltejs/kit': '*', '@sveltejs/vite-plugin-svelte': '*', svelte: '*', vite: '*' } }, null, 2),
      // The one line the README asks for under a prefix: `paths.base`.
      'svelte.config.js': "/** @type {import('@sveltejs/kit').Config} */\nconst config = {\n  kit: {\n    paths: { base: process.env.MOUNT_PREFIX ?? '' },\n  },\n};\n\nexport default config;\n",
      'vite.config.js': "import { sveltekit } from '@sveltejs/kit/vite';\nimport { defineConfig } from 'vite';\n\nexport default defineConfig({\n  plugins: [sveltekit()],\n});\n",
      'src/app.html': '<!doctype html>\n<html lang="en">\n  <head>\n    <meta charset="utf-8" />\n    <meta name="viewport" content="width=device-width, initial-scale=1" />\n    %sveltekit.head%\n  </head>\n  <body data-sveltekit-preload-data="hover">\n    <div style="display: contents">%sveltekit.body%</div>\n  </body>\n</html>\n',
      // The count lives in a module of its own (as apps keep shared state): the edited component is what HMR swaps.
      'src/lib/count.svelte.js': 'export const counter = $state({ count: 0 });\n',
      // "Count is" shows once hydrated: an edit before the client loaded the page has no module to update.
      'src/routes/+page.svelte':
        "<script>\n  import { onMount } from 'svelte';\n  import { counter } from '$lib/count.svelte.js';\n\n  let hydrated = $state(false);\n  onMount(() => (hydrated = true));\n</script>\n\n<h1>Get started</h1>\n<button type=\"button\" onclick={() => counter.count++}>{hydrated ? `Count is ${counter.count}` : 'Loading'}</button>\n",
    });
  },
  mount: { command: 'npm run dev', cwd: 'kit' },
  modes: ['prefix', 'host'],
  crash: true,
  page: '',
  ready: COUNTER_TEXT,
  hmr: { file: 'src/routes/+page.svelte', from: 'Get started', to: 'Edited through Mounts' },
};

const astro: MatrixApp = {
  name: 'astro',
  write(dir) {
    writeFiles(dir, {
      'package.json': JSON.stringify({ name: 'astro-app', private: true, type: 'module', scripts: { dev: 'astro dev', build: 'astro build' }, dependencies: { astro: '*' } }, null, 2),
      'astro.config.mjs': "// @ts-check\nimport { defineConfig } from 'astro/config';\n\nexport default defineConfig({});\n",
      // An .astro edit reloads the page (it is rendered on the server), and so does one of a stylesheet
      // the page imports (Astro reloads for a module its server rendering loaded, and that one it did,
      // for its styles): the HMR check edits a module only the page's script imports, which accepts it.
      'src/styles/global.css': 'h1 {\n  color: rgb(1, 2, 3);\n}\n',
      'src/scripts/label.js': "export const label = 'Get started';\n",
      'src/pages/index.astro':
        "---\nimport '../styles/global.css';\n---\n<html lang=\"en\">\n  <head>\n    <meta charset=\"utf-8\" />\n    <title>Astro</title>\n  </head>\n  <body>\n    <h1>Astro</h1>\n    <button type=\"button\" id=\"counter\">Loading</button>\n    <p id=\"label\"></p>\n    <script>\n      import { label } from '../scripts/label.js';\n      const shown = document.getElementById('label');\n      shown.textContent = label;\n      // The label is swapped in place: the module accepts its new version, the counter keeps its count.\n      import.meta.hot?.accept('../scripts/label.js', (next) => (shown.textContent = next.label));\n      let count = 0;\n      const button = document.getElementById('counter');\n      button.addEventListener('click', () => (button.textContent = `Count is ${++count}`));\n      button.textContent = 'Count is 0';\n    </script>\n  </body>\n</html>\n",
    });
  },
  mount: { command: 'npm run dev', cwd: 'astro', env: { ASTRO_TELEMETRY_DISABLED: '1' } },
  modes: ['prefix', 'host'],
  crash: true,
  page: '',
  ready: COUNTER_TEXT,
  hmr: { file: 'src/scripts/label.js', from: 'Get started', to: 'Edited through Mounts' },
};

const nuxt: MatrixApp = {
  name: 'nuxt',
  write(dir) {
    writeFiles(dir, {
      // Nuxt's minimal starter, with a page (app/pages/ turns on its router) in place of NuxtWelcome.
      'package.json': JSON.stringify({ name: 'nuxt-app', type: 'module', private: true, scripts: { build: 'nuxt build', dev: 'nuxt dev', generate: 'nuxt generate', preview: 'nuxt preview', postinstall: 'nuxt prepare' }, dependencies: { nuxt: '*', vue: '*', 'vue-router': '*' } }, null, 2),
      'nuxt.config.ts': "// https://nuxt.com/docs/api/configuration/nuxt-config\nexport default defineNuxtConfig({\n  compatibilityDate: '2025-07-15',\n  devtools: { enabled: true }\n})\n",
      'app/app.vue': '<template>\n  <div>\n    <NuxtRouteAnnouncer />\n    <NuxtPage />\n  </div>\n</template>\n',
      // "Count is" shows once hydrated; a template edit re-renders the component and keeps its state.
      'app/pages/index.vue':
        "<script setup>\nconst count = ref(0)\nconst hydrated = ref(false)\nonMounted(() => (hydrated.value = true))\n</script>\n\n<template>\n  <h1>Get started</h1>\n  <button type=\"button\" @click=\"count++\">{{ hydrated ? `Count is ${count}` : 'Loading' }}</button>\n</template>\n",
    });
  },
  mount: { command: 'npm run dev', cwd: 'nuxt' },
  modes: ['prefix', 'host'],
  crash: true,
  page: '',
  ready: COUNTER_TEXT,
  hmr: { file: 'app/pages/index.vue', from: 'Get started', to: 'Edited through Mounts' },
};

const PYTHON = '/usr/bin/python3';

const django: MatrixApp = {
  name: 'django',
  write(dir) {
    fs.mkdirSync(dir, { recursive: true });
    execFileSync(PYTHON, ['-m', 'django', 'startproject', 'mysite', dir]);
  },
  mount: { wsgi: 'mysite.wsgi:application', python: PYTHON, cwd: 'django' },
  modes: ['prefix', 'host'],
  crash: true,
  // startproject's urls.py has only the admin: the root is a 404 page.
  page: 'admin/login/',
  ready: 'Django administration',
};

const flask: MatrixApp = {
  name: 'flask',
  write(dir) {
    writeFiles(dir, {
      'app.py':
        'from flask import Flask, url_for\n\napp = Flask(__name__)\n\n\n@app.route("/")\ndef home():\n    return f\'<!doctype html><title>Flask</title><link rel="stylesheet" href="{url_for("static", filename="site.css")}"><h1>Flask says hello</h1>\'\n',
      'static/site.css': 'h1 { color: rgb(0, 128, 0); }\n',
    });
  },
  mount: { wsgi: 'app:app', python: PYTHON, cwd: 'flask' },
  modes: ['prefix', 'host'],
  crash: true,
  page: '',
  ready: 'Flask says hello',
};

const fastapi: MatrixApp = {
  name: 'fastapi',
  write(dir) {
    writeFiles(dir, {
      'main.py':
        'from fastapi import FastAPI\nfrom fastapi.responses import HTMLResponse\n\napp = FastAPI()\n\n\n@app.get("/", response_class=HTMLResponse)\ndef home():\n    return \'<!doctype html><title>FastAPI</title><h1>FastAPI says hello</h1><script>fetch("items/1").then((r) => r.json()).then((item) => document.body.append(item.name))</script>\'\n\n\n@app.get("/items/{item_id}")\ndef item(item_id: int):\n    return {"id": item_id, "name": "fetched through Mounts"}\n',
    });
  },
  mount: { asgi: 'main:app', python: PYTHON, cwd: 'fastapi' },
  modes: ['prefix', 'host'],
  crash: true,
  page: '',
  ready: 'fetched through Mounts',
  extraPath: 'items/2',
};

export const MATRIX: readonly MatrixApp[] = [viteReact, next, sveltekit, astro, nuxt, django, flask, fastapi];
