// Promises are never dropped by accident: no-floating-promises, explicit `void` where intended.
// Who may import what is checked here too (ARCHITECTURE.md draws the same boundaries): the engine
// and the engine process run without an editor, so an import of vscode or of ui/ would break the
// CLI and the plain-node tests; the editor reaches the engine through its one public entry.
import tseslint from 'typescript-eslint';

const noEditor = {
  paths: [{ name: 'vscode', message: 'The engine and the engine process run without an editor: no vscode here.' }],
  patterns: [
    { group: ['**/ui', '**/ui/**'], message: 'Nothing below the editor may import ui/.' },
    { group: ['@vscode/*'], message: 'The engine and the engine process run without an editor.' },
  ],
};

const engineOnly = {
  group: ['**/engineProcess', '**/engineProcess/**', '**/mcp', '**/mcp/**'],
  message: 'The engine imports only node:*, its own files and its libraries.',
};

const noCore = {
  group: ['**/engine', '**/core', '**/core/**', '**/dispatch', '**/listener'],
  message: 'The kinds, the live loop and the export writers never import the engine core that drives them.',
};

const noKindInternals = {
  group: ['**/kinds/*/**'],
  message: "Outside the kinds, ask a kind through kinds/registry and kinds/app; what is in a kind's folder is its own.",
};

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', 'examples/**'] },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: { parserOptions: { project: './tsconfig.json' } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      'no-debugger': 'error',
    },
  },
  {
    files: ['src/engine/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { ...noEditor, patterns: [...noEditor.patterns, engineOnly, noKindInternals] }],
    },
  },
  {
    // The public surface re-exports what the front ends use, a kind's part among them.
    files: ['src/engine/index.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { ...noEditor, patterns: [...noEditor.patterns, engineOnly] }],
    },
  },
  {
    // The live loop and the export writers read the spec and ask the kinds; neither reaches back
    // into the core that drives them.
    files: ['src/engine/live/**/*.ts', 'src/engine/export/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { ...noEditor, patterns: [...noEditor.patterns, engineOnly, noCore, noKindInternals] }],
    },
  },
  {
    // A kind's app gets what it needs through the context it is created with; its folder is its
    // own (a kind may build on another's parts, as Python builds on the command's).
    files: ['src/engine/kinds/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { ...noEditor, patterns: [...noEditor.patterns, engineOnly, noCore] }],
    },
  },
  {
    files: ['src/engineProcess/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        ...noEditor,
        patterns: [
          ...noEditor.patterns,
          {
            group: ['**/engine/*', '!**/engine/index'],
            message: 'Import the engine through its public entry, ../engine/index.',
          },
        ],
      }],
    },
  },
  {
    files: ['src/ui/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          {
            group: ['**/engine/*', '!**/engine/index'],
            message: 'The editor sees the engine only through its public entry, ../engine/index.',
          },
          {
            // The extension host runs no engine code of its own: the few pure functions it may call
            // (parsing, the export, the words for things) are re-exported by the engine process's
            // client, so that list is decided in one place.
            group: ['**/engine/index'],
            allowTypeImports: true,
            message: 'The editor runs no engine code: import types only (import type), or use ../engineProcess/client.',
          },
          {
            group: ['**/engineProcess/*', '!**/engineProcess/client'],
            message: 'The editor talks to the engine process only through ../engineProcess/client.',
          },
        ],
      }],
    },
  },
);
