/**
 * The framework dev servers of the framework matrix (test/frameworks/), installed once from the npm
 * registry into `.vscode-test/frameworks/` at pinned versions; a valid cache returns at once. The
 * matrix's apps are written below this folder at test time, so that they resolve these packages as
 * an app resolves its own node_modules.
 */
import * as path from 'node:path';
import { buildCache, npmUnder, readMarker, run } from './shell';

/**
 * Exact versions: Next.js (app router), Vite with React (and create-vite for its React template),
 * SvelteKit, Astro (5: Astro 6 needs Node 22, the matrix runs on Node 20), Nuxt (4.4.5, the last
 * release for Node 20) with the Vue and Vue Router its starter lists.
 */
export const FRAMEWORK_PACKAGES: Readonly<Record<string, string>> = {
  next: '16.5.0',
  react: '19.3.1',
  'react-dom': '19.3.1',
  vite: '8.4.1',
  '@vitejs/plugin-react': '6.3.1',
  'create-vite': '9.3.0',
  '@sveltejs/kit': '2.70.4',
  '@sveltejs/vite-plugin-svelte': '7.3.3',
  svelte: '5.60.1',
  astro: '5.18.2',
  nuxt: '4.4.5',
  vue: '3.5.47',
  'vue-router': '5.6.1',
};

const MARKER = '.mounts-frameworks-installed.json';

/** The cache folder; MOUNTS_FRAMEWORKS_DIR moves it (a worktree sharing another's .vscode-test). */
export function frameworksRoot(projectRoot: string): string {
  return process.env.MOUNTS_FRAMEWORKS_DIR ?? path.join(projectRoot, '.vscode-test', 'frameworks');
}

export async function installFrameworks(projectRoot: string, log: (line: string) => void): Promise<string> {
  const root = frameworksRoot(projectRoot);
  const marker = readMarker<{ packages: Record<string, string> }>(path.join(root, MARKER));
  if (marker && JSON.stringify(marker.packages) === JSON.stringify(FRAMEWORK_PACKAGES)) return root;
  const started = Date.now();
  log(`installing the framework matrix's packages (${Object.keys(FRAMEWORK_PACKAGES).join(', ')}) into ${root}`);
  await buildCache(root, MARKER, { packages: FRAMEWORK_PACKAGES }, 'the framework packages', async (staging, logFile) => {
    const npm = npmUnder(process.execPath);
    const specs = Object.entries(FRAMEWORK_PACKAGES).map(([name, version]) => `${name}@${version}`);
    // Install scripts stay off: esbuild and Next's SWC come as platform packages, and nothing else here needs building.
    await run(npm.command, [...npm.prefix, 'install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', ...specs], staging, logFile, npm.env);
  });
  log(`  framework packages installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return root;
}
