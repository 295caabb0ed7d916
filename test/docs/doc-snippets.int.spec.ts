import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { docNames, extractSnippets, readDoc, repoRoot } from './doc-snippets.js';
import { NEST_NEW_STUBS, typecheckSnippets } from './snippet-typecheck.js';

/**
 * Every TypeScript block in docs/ compiles, strict, with its own imports, against the workspace
 * packages (convention: test/docs/doc-snippets.ts). docs/adopting.md is compiled here too (with
 * stand-ins for the two files `nest new` generates) for quick feedback; the adoption e2e
 * compiles the same blocks inside a real new Nest app against the packed packages.
 *
 * A control doc with a known error rides in the same tsc run: the check must report it, at the
 * right doc line, or the test fails (a checker that compiles nothing would pass otherwise).
 */
describe('doc snippets compile', () => {
  // Inside the repository (so node_modules resolves), in the ignored .lockstep/ folder.
  const dir = join(repoRoot, '.lockstep', 'doc-snippets', randomBytes(4).toString('hex'));
  let failed = false;
  afterAll(() => {
    if (!failed) rmSync(dir, { recursive: true, force: true });
  });

  it('every ```ts block of docs/*.md type-checks; a broken control block is reported at its doc line', async () => {
    const groups = docNames().map((doc) => ({
      name: `docs-${doc.replace(/\.md$/, '')}`,
      snippets: extractSnippets(readDoc(doc), `docs/${doc}`),
      extraFiles: doc === 'adopting.md' ? NEST_NEW_STUBS : undefined,
    }));
    const compiled = groups.flatMap((g) => g.snippets).filter((s) => !s.fragment);
    expect(compiled.length).toBeGreaterThan(10);

    const control = extractSnippets(
      [
        '# control',
        '',
        '```ts',
        "import { OutboxModule } from '@lockstep/outbox';",
        'export const x: number = OutboxModule;',
        '```',
        '',
      ].join('\n'),
      'control.md',
    );
    const diagnostics = await typecheckSnippets(dir, [...groups, { name: 'control', snippets: control }]);

    const controlErrors = diagnostics.filter((d) => d.where.startsWith('control.md:'));
    const docErrors = diagnostics.filter((d) => !d.where.startsWith('control.md:'));
    failed = docErrors.length > 0;
    expect(docErrors.map((d) => `${d.where}: ${d.message}`)).toEqual([]);
    expect(controlErrors.map((d) => d.where)).toEqual(['control.md:5 (snippet-1.ts:2:14)']);
    expect(controlErrors[0].message).toMatch(/TS2322/);
  });
});
