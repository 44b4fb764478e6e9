import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.berth/**', 'test-artifacts/**', 'packages/server/src/db/migrations/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration in packages/server/src/config.ts and pass it in.' },
      ],
    },
  },
  {
    // No import cycles in the packages' sources (STYLE.md rule 12). Imports name the
    // compiled '.js' file, so the resolver maps it back to the '.ts' beside it.
    files: ['packages/*/src/**/*.{ts,tsx}'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.tsx', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.tsx', '.js', '.json'], extensionAlias: { '.js': ['.ts', '.tsx', '.js'] } })],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    // Programs baked into images (the code interpreter's kernel) run inside sandboxes, on Node alone.
    files: ['packages/server/images/**'],
    languageOptions: { globals: { setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly', URL: 'readonly', fetch: 'readonly' } },
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // The config loader and test/dev tooling are where the environment is read.
    files: ['packages/server/src/config.ts', 'packages/server/src/main.ts', 'test/**', 'bench/**', 'packages/cli/**', 'vitest.config.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
