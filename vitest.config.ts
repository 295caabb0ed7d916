import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// Vitest + SWC: esbuild (Vite's default) cannot emit decorator metadata, which Nest's
// dependency injection and class-validator need; SWC can, and it handles the ESM-only
// dependencies (NestJS 12, @vlasky/zongji) natively.
const lib = (name: string) => fileURLToPath(new URL(`./libs/${name}/src/index.ts`, import.meta.url));

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
  resolve: {
    alias: {
      '@lockstep/outbox': lib('outbox'),
      '@lockstep/relay': lib('relay'),
      '@lockstep/consumer': lib('consumer'),
      '@lockstep/core': lib('core'),
      '@lockstep/testing': lib('testing'),
      '@lockstep/order-contracts': lib('order-contracts'),
    },
  },
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
