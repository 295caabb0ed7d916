// dependency-cruiser: the layering rules of issue #12, checked by `npm run lint` (lint:deps).
// Paths are relative to the repository root. `@lockstep/<name>` resolves (npm workspaces, the
// "lockstep-source" export condition) to libs/<name>/src/index.ts, the same file a relative path
// would reach: a rule tells the two apart by the dependency type (a relative import is `local` and
// nothing else; a package import is `aliased` from the apps, `undetermined` from a package).

// Needs node >= 22 (dependency-cruiser 18's engines); see `lint:deps` in package.json.

/** Infrastructure that a library's core must not know. */
const INFRASTRUCTURE = '(^|/)node_modules/(mysql2|kafkajs|@vlasky/zongji|@nestjs/[^/]+|typeorm)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A cycle makes module initialisation order-dependent (ESM) and the layers unreadable. Break it with a port or by moving the shared piece down.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-without-infrastructure',
      severity: 'error',
      comment:
        "A library's core (libs/<lib>/src/core) is plain TypeScript: no mysql2, kafkajs, zongji, Nest or TypeORM. Adapters (src/adapters) and the Nest glue (src/nest) bring them in.",
      from: { path: '^libs/[^/]+/src/core/' },
      to: { path: INFRASTRUCTURE },
    },
    {
      name: 'core-package-without-infrastructure',
      severity: 'error',
      comment:
        '@lockstep/core is the shared contract every package and every event-contract package depends on: no Nest, Kafka or MySQL client, no TypeORM.',
      from: { path: '^libs/core/src/', pathNot: '\\.spec\\.ts$' },
      to: { path: INFRASTRUCTURE },
    },
    {
      name: 'core-inward-only',
      severity: 'error',
      comment:
        "A library's core and ports do not import its adapters, its Nest glue, its CLI or its operator tools: those depend on the core, not the other way round.",
      from: { path: '^libs/([^/]+)/src/(core|ports)/', pathNot: '\\.spec\\.ts$' },
      to: { path: '^libs/$1/src/(adapters|nest|cli|ops)/' },
    },
    {
      name: 'lib-not-to-app-test-or-tooling',
      severity: 'error',
      comment:
        'A library ships as an npm package: it cannot import an app, the repository tests, the benchmarks, the scripts or the root migrations folder.',
      from: { path: '^libs/' },
      to: { path: '^(apps|test|bench|scripts|migrations)/' },
    },
    {
      name: 'lib-to-lib-through-package-name',
      severity: 'error',
      comment:
        'A library imports another library through its package name (@lockstep/<name>), never by a relative path into its folder: the relative path breaks once the packages are built and installed.',
      from: { path: '^libs/([^/]+)/' },
      to: { path: '^libs/', pathNot: '^libs/$1/', dependencyTypes: ['local'], dependencyTypesNot: ['aliased'] },
    },
    {
      name: 'app-to-lib-through-package-name',
      severity: 'error',
      comment:
        'An app imports a library through its package name (@lockstep/<name>), as a user of the package would, not libs/<name>/src/... by a relative path.',
      from: { path: '^apps/' },
      to: { path: '^libs/', dependencyTypes: ['local'], dependencyTypesNot: ['aliased'] },
    },
    {
      name: 'lib-production-code-not-to-testing',
      severity: 'error',
      comment:
        "A library's production code does not import @lockstep/testing (the test kit, a dev dependency): only specs and test fixtures do.",
      from: { path: '^libs/(?!testing/)[^/]+/src/', pathNot: '\\.spec\\.ts$' },
      to: { path: '^libs/testing/' },
    },
    {
      name: 'lib-declares-what-it-imports',
      severity: 'error',
      comment:
        "A package's production code imports only what its own package.json declares (dependencies, peerDependencies, optionalDependencies): anything else is missing from a user's install.",
      from: { path: '^libs/[^/]+/src/', pathNot: '\\.spec\\.ts$' },
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown', 'npm-dev'], dependencyTypesNot: ['npm', 'npm-peer', 'npm-optional'] },
    },
  ],
  options: {
    doNotFollow: { path: '(^|/)node_modules/' },
    exclude: { path: '(^|/)(dist|\\.lockstep|coverage)/|^bench/results/' },
    // Type-only imports count: a core that names a kafkajs type still knows kafkajs.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Resolve @lockstep/* to the sources, as tsc (customConditions) and vitest do.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['lockstep-source', 'import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
    cache: { folder: 'node_modules/.cache/dependency-cruiser', strategy: 'content' },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
