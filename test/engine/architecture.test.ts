/** ARCHITECTURE.md stays true to the tree: every path it names in backticks exists. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KINDS } from '../../src/engine/kinds/registry';

const REPO = path.resolve(__dirname, '../../..');

/**
 * A backticked span is a path when it starts at one of the repository's top folders, or is a file
 * at the root (`package.json`, `eslint.config.mjs`); `mounts.json`, `$PORT` and code are not.
 */
const PATH = /^(?:(?:src|test|bench|examples|schema|media)\/[\w./-]*|[\w-]+\.(?:md|mjs|js)|package\.json|tsconfig\.json)$/;

function namedPaths(text: string): string[] {
  return [...text.matchAll(/`([^`\n]+)`/g)].map((match) => match[1]).filter((span) => PATH.test(span));
}

describe('ARCHITECTURE.md', () => {
  const text = fs.readFileSync(path.join(REPO, 'ARCHITECTURE.md'), 'utf8');

  it('names only paths that exist', () => {
    const paths = namedPaths(text);
    // The map names every folder of the code; far fewer paths means the pattern stopped matching.
    assert.ok(paths.length >= 40, `only ${paths.length} paths found: ${paths.join(', ')}`);
    const missing = paths.filter((named) => !fs.existsSync(path.join(REPO, named)));
    assert.deepEqual(missing, [], `ARCHITECTURE.md names paths that do not exist: ${missing.join(', ')}`);
  });

  it('names every folder under src/', () => {
    const folders = fs
      .readdirSync(path.join(REPO, 'src'), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => path.relative(REPO, path.join(entry.parentPath, entry.name)) + '/')
      // Down to a kind's folder; what is inside one (a command's framework presets) is its own.
      .filter((folder) => folder.split('/').length <= 5);
    const named = new Set(namedPaths(text).map((named) => (named.endsWith('/') ? named : `${named}/`)));
    const unnamed = folders.filter((folder) => !named.has(folder));
    assert.deepEqual(unnamed, [], `folders ARCHITECTURE.md does not map: ${unnamed.join(', ')}`);
  });
});

describe('a kind is one folder', () => {
  const KINDS_DIR = path.join(REPO, 'src/engine/kinds');
  const folders = fs.readdirSync(KINDS_DIR, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);

  it('every folder under src/engine/kinds/ has its descriptor and its app, and the registry lists it', () => {
    assert.ok(folders.length >= 5, `only ${folders.length} kind folders: ${folders.join(', ')}`);
    const registry = fs.readFileSync(path.join(KINDS_DIR, 'registry.ts'), 'utf8');
    for (const folder of folders) {
      for (const file of ['kind.ts', 'app.ts']) {
        assert.ok(fs.existsSync(path.join(KINDS_DIR, folder, file)), `src/engine/kinds/${folder}/ has no ${file}`);
      }
      assert.match(registry, new RegExp(`from '\\./${folder}/kind'`), `registry.ts does not list src/engine/kinds/${folder}/`);
    }
  });

  it('the registry lists every kind mounts.json knows, and each kind makes its own app', () => {
    assert.deepEqual(KINDS.map((kind) => kind.name).sort(), ['asgi', 'command', 'module', 'proxy', 'static', 'wsgi']);
    for (const kind of KINDS) assert.equal(typeof kind.createApp, 'function', `${kind.name} has no createApp`);
  });
});
