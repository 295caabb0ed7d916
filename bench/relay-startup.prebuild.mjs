/**
 * A preview of "the relay as built JavaScript" for bench/relay-startup.bench.ts, for a checkout
 * from before issue #12 (tsconfig path aliases, no build): transpiles apps/relay/src and
 * libs/<name>/src with the checkout's own .swcrc (the same swc transform @swc-node/register applies
 * at start, decorator metadata included) into <checkout>/.bench-prebuilt/, rewriting the
 * @lockstep/* aliases to relative paths, so that
 *
 *   node .bench-prebuilt/apps/relay/src/main.js
 *
 * runs the same code without a compiler at start (bare imports resolve to <checkout>/node_modules).
 * Not the real build of #12 (no packages, no tsc, no CLI): only a reference point for what
 * dropping the start-time compile is worth.
 *
 *   node bench/relay-startup.prebuild.mjs /work/wt-before
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? '.');
const out = join(root, '.bench-prebuilt');
const swc = createRequire(join(root, 'package.json'))('@swc/core');
const swcrc = JSON.parse(readFileSync(join(root, '.swcrc'), 'utf8'));
const libs = readdirSync(join(root, 'libs')).filter((l) => statSync(join(root, 'libs', l, 'src')).isDirectory());
const paths = Object.fromEntries(libs.map((l) => [`@lockstep/${l}`, [`./libs/${l}/src/index.ts`]]));

function* walk(dir) {
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts') && !p.includes('.spec.')) yield p;
  }
}

rmSync(out, { recursive: true, force: true });
let files = 0;
for (const dir of ['apps/relay/src', ...libs.map((l) => `libs/${l}/src`)]) {
  for (const file of walk(join(root, dir))) {
    const { code } = swc.transformFileSync(file, {
      ...swcrc,
      swcrc: false,
      sourceMaps: false,
      filename: file,
      jsc: { ...swcrc.jsc, baseUrl: root, paths },
    });
    const js = code
      // `./x.ts` specifiers (if any) -> `./x.js`
      .replace(/(from\s+|import\s*\(\s*)(['"])([^'"]+)\.ts\2/g, '$1$2$3.js$2')
      // swc rewrites an alias to its directory (`../../core/src`): ESM needs the file
      .replace(/(from\s+|import\s*\(\s*)(['"])((?:\.\.?\/)[^'"]*\/src)\2/g, '$1$2$3/index.js$2');
    const dest = join(out, relative(root, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(dest, js);
    files++;
  }
}
console.log(`${files} files transpiled to ${out}; run: node .bench-prebuilt/apps/relay/src/main.js (cwd ${root})`);
