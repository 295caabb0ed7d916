// ESLint (flat config) with typescript-eslint's type-aware rules. `npm run lint` runs it together
// with `prettier --check` and dependency-cruiser (.dependency-cruiser.cjs); scripts/test.sh runs
// `npm run lint`, so CI enforces it. Formatting is Prettier's job: no stylistic rules here.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

// Libraries take their configuration as options; only apps, the CLI, scripts and tests read the
// environment (issue #12). Test kits (libs/testing) and specs are tests.
const noProcessEnv = 'Libraries never read process.env: take the value as an option (the CLI and the apps read the environment).';

export default defineConfig(
  globalIgnores(['**/node_modules/', '**/dist/', 'dist-packages/', '.lockstep/', 'bench/results/', 'coverage/']),
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Promises: every one is awaited, returned, or explicitly voided (`void p`, with a reason).
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      // `import type` for what is only a type. typescript-eslint leaves files with decorators alone
      // when emitDecoratorMetadata is on (a constructor parameter's type is a runtime value there).
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Passing on a caught `unknown` (`.catch((e: unknown) => reject(e))`) is propagation, not a new non-Error.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // Off: every hit was an `async` callback or port implementation without an await (kafkajs'
      // eachBatch, a Nest useFactory, a fake port in a spec), which is how a Promise-returning
      // contract is met and a throw becomes a rejection; a forgotten await is caught by
      // no-floating-promises and await-thenable instead.
      '@typescript-eslint/require-await': 'off',
    },
    // No rule against sleeps in specs: the few `await new Promise((r) => setTimeout(r, ms))` in
    // the fault tests are deliberate (a random kill moment, how long a fault lasts), and a rule
    // that cannot tell them from a sleep used as synchronisation would only teach people to
    // write eslint-disable. waitFor() (libs/testing) is how tests wait for a condition.
  },
  {
    // Production code of the libraries: no process.env (libs/testing is a test kit, libs/cli is the CLI).
    files: ['libs/*/src/**/*.ts'],
    ignores: ['libs/testing/**', 'libs/cli/**', '**/*.spec.ts'],
    rules: {
      // Also catches `const { env } = process` and `process['env']`.
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: noProcessEnv }],
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'node:process', importNames: ['env'], message: noProcessEnv },
            { name: 'process', importNames: ['env'], message: noProcessEnv },
          ],
        },
      ],
    },
  },
  {
    // Tests: `expect(fake.method).toHaveBeenCalled()` and `sort(Buffer.compare)` pass a method
    // without calling it, which is fine there.
    files: ['**/*.spec.ts', 'test/**/*.ts', 'libs/*/test/**/*.ts', 'libs/testing/**/*.ts'],
    rules: {
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Config files in plain JavaScript: no type information.
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    extends: [js.configs.recommended],
    languageOptions: {
      sourceType: 'module',
      globals: { process: 'readonly', console: 'readonly', module: 'writable', require: 'readonly', __dirname: 'readonly' },
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
);
