// Lint for src/, test/, bench/, scripts/ and webview-ui/src (npm run lint; npm test runs it too).
// Type-aware: the rules that need types (floating promises above all) read the project's
// tsconfig.json files through typescript-eslint's project service. The rule set is the
// recommended one minus the rules that fight the code's existing, deliberate style; what stays
// is what guards: un-awaited promises, promises where a callback expects void, `any`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeGlobals = Object.fromEntries(
  [
    'process',
    'console',
    'Buffer',
    'URL',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'setImmediate',
    'performance',
    'fetch',
    'AbortController',
    'TextDecoder',
    'TextEncoder',
    '__dirname',
    '__filename',
    'require',
    'module',
  ].map((name) => [name, 'readonly']),
);

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'dist/**',
      'node_modules/**',
      'examples/**',
      'test/sourceMapping/fixtures/**',
      'bench/models/**',
      '.bench/**',
      'test-results/**',
      '.vscode-test/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['scripts/*.ts', 'eslint.config.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // node:test's test() and describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      // tsc's noUnusedLocals already reports these; `_`-prefixed parameters are the convention for unused ones.
      '@typescript-eslint/no-unused-vars': ['error', { args: 'none', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // The code narrows with `!` after checks the compiler cannot follow (map lookups, indices).
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Values that arrive untyped (JSON.parse, worker messages, protobuf) are checked by hand before use.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
      // Numbers in template strings are the norm here (messages, ids).
      '@typescript-eslint/restrict-template-expressions': 'off',
      // Casts that document a narrowing the reader would otherwise have to work out.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // Async functions without await implement async interfaces (VS Code serializers, test doubles).
      '@typescript-eslint/require-await': 'off',
      // Kernel tables and option bags hold functions typed as methods and are called unbound by design.
      '@typescript-eslint/unbound-method': 'off',
      // Errors arrive as `unknown` (worker messages, caught values) and are rethrown as they came.
      '@typescript-eslint/only-throw-error': 'off',
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      // A `let` read by a closure before its one assignment (activate's panels and features) stays a `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: nodeGlobals },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The real-VS-Code tests pass functions to page.evaluate, which run in the browser.
    files: ['test/e2e/**'],
    languageOptions: { globals: { document: 'readonly', getComputedStyle: 'readonly', window: 'readonly' } },
  },
  {
    // Asserts that terminal output carries no control characters.
    files: ['test/cli/report.test.ts'],
    rules: { 'no-control-regex': 'off' },
  },
);
