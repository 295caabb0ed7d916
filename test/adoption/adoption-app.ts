import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { adoptionSnippets, readDoc, repoRoot } from '../docs/doc-snippets.js';
import { run } from './processes.js';

/** The Nest CLI users run (`npx @nestjs/cli@12 new`); pinned so a new CLI release shows up as a diff here. */
export const NEST_CLI = '@nestjs/cli@12.0.8';
/** TypeScript versions the app is type-checked with, besides the one `nest new` installs. */
export const EXTRA_TYPESCRIPTS = ['typescript@5.9.3', 'typescript@7.0.2'] as const;

export type ModuleSystem = 'esm' | 'cjs';

/** Environment for npm/npx in the app: no vitest/repo variables that could change what npm does. */
export function npmEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('npm_') || k.startsWith('VITEST') || k === 'NODE_OPTIONS' || k === 'NODE_ENV' || k === 'TEST') continue;
    env[k] = v;
  }
  return {
    ...env,
    NO_COLOR: '1',
    FORCE_COLOR: '0',
    NO_UPDATE_NOTIFIER: '1',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    ...extra,
  };
}

/**
 * `npm run pack` of the repository (build + `npm pack` of every publishable package) into `dir`.
 * Returns the tarballs by package name (`@lockstep/core` -> /…/lockstep-core-0.1.0.tgz).
 */
export async function packPackages(dir: string, { reuse = false }: { reuse?: boolean } = {}): Promise<Map<string, string>> {
  mkdirSync(dir, { recursive: true });
  if (!reuse) await run('npm', ['run', 'pack', '--', dir], { cwd: repoRoot, env: npmEnv(), timeoutMs: 600_000 });
  const tarballs = new Map<string, string>();
  for (const f of readdirSync(dir)) {
    const m = /^lockstep-(.+)-\d+\.\d+\.\d+.*\.tgz$/.exec(f);
    if (m) tarballs.set(`@lockstep/${m[1]}`, join(dir, f));
  }
  return tarballs;
}

/**
 * A new Nest app in `parent/name`, made as users make one. ESM is what `nest new` creates by
 * default (and without a terminal to prompt on). CommonJS is the other answer to its "Which
 * module system?" prompt; `nest new` has no flag for it, so the app is generated with the same
 * CLI's schematic (`@nestjs/schematics:application --type=cjs`), which is what the prompt's
 * answer selects, then installed with npm.
 */
export async function createNestApp(parent: string, name: string, moduleSystem: ModuleSystem): Promise<string> {
  mkdirSync(parent, { recursive: true });
  const env = npmEnv();
  if (moduleSystem === 'esm') {
    await run('npx', ['--yes', NEST_CLI, 'new', name, '--skip-git', '--package-manager', 'npm'], {
      cwd: parent,
      env,
      timeoutMs: 600_000,
    });
  } else {
    await run(
      'npx',
      [
        '--yes',
        '-p',
        NEST_CLI,
        'schematics',
        '@nestjs/schematics:application',
        `--name=${name}`,
        '--type=cjs',
        '--package-manager=npm',
        '--no-dry-run',
        '--observe=false',
      ],
      { cwd: parent, env, timeoutMs: 300_000 },
    );
    await run('npm', ['install'], { cwd: join(parent, name), env, timeoutMs: 600_000 });
  }
  return join(parent, name);
}

/**
 * The `npm install` line of docs/adopting.md, with each `@lockstep/*` package replaced by its
 * tarball (and the tarballs of the @lockstep packages those depend on, which users get from the
 * registry). Everything else comes from the registry, as the doc says.
 */
export function installArgsFromDoc(tarballs: Map<string, string>): string[] {
  const doc = readDoc('adopting.md');
  const m = /```bash\n(npm install [^`]*?)\n```/.exec(doc);
  if (!m) throw new Error('docs/adopting.md has no ```bash block with an `npm install` line');
  const words = m[1].replace(/\\\n/g, ' ').split(/\s+/).filter(Boolean).slice(2);
  const args: string[] = [];
  for (const w of words) {
    if (w.startsWith('@lockstep/')) {
      const t = tarballs.get(w);
      if (!t) throw new Error(`docs/adopting.md installs ${w}, which npm run pack did not produce`);
      args.push(t);
    } else {
      args.push(w);
    }
  }
  for (const [pkg, t] of tarballs) {
    if (!words.includes(pkg) && pkg !== '@lockstep/testing' && pkg !== '@lockstep/order-contracts') args.push(t); // transitive (e.g. @lockstep/relay of the CLI)
  }
  return args;
}

/** Writes docs/adopting.md's files into the app; returns their paths. */
export function writeDocFiles(appDir: string): string[] {
  const files: string[] = [];
  for (const s of adoptionSnippets()) {
    const path = join(appDir, s.file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, s.code);
    files.push(s.file);
  }
  return files;
}

/** What `nest new` generated, as far as this test relies on it. */
export function describeGeneratedApp(appDir: string): {
  packageType: string | undefined;
  typescript: string;
  tsModule: string;
  strict: boolean;
} {
  const pkg = JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8')) as { type?: string };
  const installed = JSON.parse(readFileSync(join(appDir, 'node_modules', 'typescript', 'package.json'), 'utf8')) as {
    version: string;
  };
  const tsconfig = readFileSync(join(appDir, 'tsconfig.json'), 'utf8');
  return {
    packageType: pkg.type,
    typescript: installed.version,
    tsModule: /"module":\s*"([^"]+)"/.exec(tsconfig)?.[1] ?? '?',
    strict: /"strict":\s*true/.test(tsconfig),
  };
}

/**
 * `tsc --noEmit` of the whole app (src and test, the generated tsconfig.json: `strict`), with
 * strictPropertyInitialization on as well (nest new turns it off). `typescript` undefined: the
 * app's own; otherwise that version through npx. Returns the version that ran.
 */
export async function typecheck(appDir: string, typescript?: string): Promise<string> {
  const npx = typescript ? ['--yes', '-p', typescript, 'tsc'] : ['--no-install', 'tsc'];
  const env = npmEnv();
  const version = (await run('npx', [...npx, '--version'], { cwd: appDir, env, timeoutMs: 300_000 })).output.trim();
  await run(
    'npx',
    [...npx, '-p', 'tsconfig.json', '--noEmit', '--incremental', 'false', '--strictPropertyInitialization', 'true'],
    {
      cwd: appDir,
      env,
      timeoutMs: 300_000,
    },
  );
  return version;
}

export function builtMain(appDir: string): string {
  const main = join(appDir, 'dist', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} missing after npm run build`);
  return main;
}
