// Bundles the CLI, the extension, the engine process the extension starts and the command supervisor,
// and copies the Python runner of wsgi and asgi mounts beside them. User app modules are loaded from
// the workspace at run time and are never bundled; 'vscode' is provided by the editor.
const esbuild = require('esbuild');
const path = require('node:path');

// Run by the user's interpreter, not bundled: src/engine/kinds/python/runnerFiles.ts finds them here.
const PYTHON_RUNNER = ['runner.py', 'mounts_serve.py', 'mounts_stdlib.py', 'mounts_django.py'];

function copyPythonRunner() {
  const fs = require('node:fs');
  fs.mkdirSync('dist/python', { recursive: true });
  for (const file of PYTHON_RUNNER) fs.copyFileSync(path.join('src/engine/kinds/python', file), path.join('dist/python', file));
}

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const entryPoints = {
  cli: 'src/cli.ts',
  extension: 'src/extension.ts',
  supervisor: 'src/engine/kinds/command/supervisor.ts',
  engineProcess: 'src/engineProcess/main.ts',
};

async function main() {
  const present = Object.fromEntries(
    Object.entries(entryPoints).filter(([, file]) => require('node:fs').existsSync(file)),
  );
  const ctx = await esbuild.context({
    entryPoints: present,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    outdir: 'dist',
    // A native addon with a prebuilt binary per platform: loaded from node_modules, never bundled.
    external: ['vscode', '@parcel/watcher'],
    // jsonc-parser's UMD build (its "main") breaks when bundled (microsoft/node-jsonc-parser#57).
    mainFields: ['module', 'main'],
    minify: production,
    sourcemap: !production,
    sourcesContent: false,
    logLevel: 'warning',
  });
  copyPythonRunner();
  if (watch) {
    await ctx.watch();
  } else {
    await ctx.rebuild();
    await ctx.dispose();
    // The CLI is package.json's "bin": esbuild keeps src/cli.ts's #! line, and the file must be
    // executable to run as `mounts` from a clone (npm sets the bit itself when it links a bin).
    if (present.cli) require('node:fs').chmodSync('dist/cli.js', 0o755);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
