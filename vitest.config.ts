import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// Vitest + SWC: esbuild (Vite's default) cannot emit decorator metadata, which Nest's
// dependency injection and class-validator need; SWC can, and it handles the ESM-only
// dependencies (NestJS 12, @vlasky/zongji) natively.

export default defineConfig({
  plugins: [
    swc.vite({
      tsconfigFile: false,
      jsc: {
        target: 'es2023',
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
        keepClassNames: true,
      },
    }),
  ],
  // @lockstep/* are npm workspaces: their "lockstep-source" export condition points at src/, so
  // tests run the sources (no build needed) while apps and users get dist/.
  resolve: { conditions: ['lockstep-source', 'module', 'node', 'development|production'] },
  ssr: { resolve: { conditions: ['lockstep-source', 'module', 'node', 'development|production'] } },
  test: {
    // Integration tests share one MariaDB and one broker: run files one at a time, and
    // give real servers real time. Every wait inside a test has its own deadline.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    env: { KAFKAJS_NO_PARTITIONER_WARNING: '1' },
    projects: [
      { extends: true, test: { name: 'unit', include: ['{libs,apps,test}/**/*.unit.spec.ts'] } },
      {
        extends: true,
        test: {
          name: 'int',
          include: ['{libs,apps,test}/**/*.int.spec.ts', 'test/**/*.e2e.spec.ts', 'test/**/*.fault.spec.ts'],
          globalSetup: ['test/global-setup.ts'],
        },
      },
    ],
  },
});
