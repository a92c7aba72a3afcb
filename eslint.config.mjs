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
      '@typescript-eslint/no-restricted-imports': ['error', {
        ...noEditor,
        patterns: [
          ...noEditor.patterns,
          {
            group: ['**/engineProcess', '**/engineProcess/**', '**/mcp', '**/mcp/**'],
            message: 'The engine imports only node:*, its own files and its libraries.',
          },
        ],
      }],
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
