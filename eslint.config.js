import { readFileSync } from 'node:fs';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';
import globals from 'globals';
import boundaries from 'eslint-plugin-boundaries';

// The import table of ARCHITECTURE.md as data (src-main/import-table.json), enforced below.
const importTable = JSON.parse(readFileSync(new URL('./src-main/import-table.json', import.meta.url), 'utf8')).layers;

/** The boundaries plugin's policy per layer: only the layers the table lists. */
function layerPolicies() {
  return Object.entries(importTable).map(([layer, { mayImport }]) => ({
    from: { element: { type: layer } },
    allow: { to: { element: { types: { anyOf: mayImport } } } },
  }));
}

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'coverage/**', '.gl/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'] } },
  },
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-indent': 'off',
      'vue/html-closing-bracket-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
    },
  },
  {
    // The import table, enforced for every file of the two source trees.
    files: ['src-main/**/*.ts', 'src-renderer/**/*.{ts,vue}'],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': Object.entries(importTable).map(([type, { pattern }]) => ({ type, pattern })),
      'boundaries/include': ['src-main/**/*', 'src-renderer/**/*'],
      'import/resolver': { node: { extensions: ['.ts', '.js', '.mjs', '.vue'] } },
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          message: '{{from.element.type}} may not import {{to.element.type}}: the import table (ARCHITECTURE.md, "Folders and what each may import") forbids it',
          policies: layerPolicies(),
        },
      ],
    },
  },
  {
    // common/ is shared by every process: no Node, Electron, TF.js or DOM imports.
    files: ['src-main/common/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:*', 'electron', '@tensorflow/*', 'better-sqlite3', 'sharp', '../core/*', '../../core/*'] }],
    },
  },
  {
    // The renderer reaches the backend only through the contract.
    files: ['src-renderer/**/*.{ts,vue}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['node:*', 'electron', '@tensorflow/*', 'better-sqlite3', 'sharp', '**/src-main/core/**', '**/src-main/hosts/**', '**/src-main/jobs/**'] },
      ],
    },
  },
  {
    // Services never import Electron: they run under plain Node in the CLI, the browser host and tests.
    files: ['src-main/**/*.ts'],
    ignores: ['src-main/hosts/electron/**'],
    rules: { 'no-restricted-imports': ['error', { paths: ['electron'] }] },
  },
);
