import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adoptionSnippets, docNames, extractSnippets, readDoc, repoRoot } from './doc-snippets.js';

describe('doc snippet extraction', () => {
  it('takes a named file, an unnamed block and a fragment, and skips other languages', () => {
    const md = [
      '# Title',
      '<!-- file: src/a.ts -->',
      '',
      '```ts',
      "export const a = 1;",
      '```',
      '```bash',
      'npm test',
      '```',
      '- a list item:',
      '  ```typescript',
      '  export const b = 2;',
      '  ```',
      '```ts fragment',
      'a + b',
      '```',
    ].join('\n');
    const snippets = extractSnippets(md, 'x.md');
    expect(snippets.map((s) => [s.file, s.named, s.fragment, s.line])).toEqual([
      ['src/a.ts', true, false, 4],
      ['snippet-2.ts', false, false, 11],
      ['snippet-3.ts', false, true, 14],
    ]);
    expect(snippets[0].code).toBe('export const a = 1;\n');
    expect(snippets[1].code).toBe('export const b = 2;\n');
  });

  it('refuses a file comment that names no TypeScript block, twice the same file, paths outside the app, unknown flags', () => {
    expect(() => extractSnippets('<!-- file: src/a.ts -->\ntext\n```ts\n```\n', 'x.md')).toThrow(/must be followed by a code block/);
    expect(() => extractSnippets('<!-- file: src/a.ts -->\n```bash\nls\n```\n', 'x.md')).toThrow(/only TypeScript blocks/);
    expect(() => extractSnippets('<!-- file: src/a.ts -->\n```ts\n```\n<!-- file: src/a.ts -->\n```ts\n```\n', 'x.md')).toThrow(/also the block/);
    expect(() => extractSnippets('<!-- file: ../a.ts -->\n```ts\n```\n', 'x.md')).toThrow(/relative \.ts path/);
    expect(() => extractSnippets('```ts compile-me\n```\n', 'x.md')).toThrow(/unknown flag/);
    expect(() => extractSnippets('```ts\nunclosed\n', 'x.md')).toThrow(/unclosed/);
  });

  it('docs/adopting.md: every TypeScript block is a named file of the app, main.ts and app.module.ts among them', () => {
    const files = adoptionSnippets().map((s) => s.file);
    expect(files).toEqual(expect.arrayContaining(['src/main.ts', 'src/app.module.ts']));
    expect(files.every((f) => f.startsWith('src/'))).toBe(true);
  });
});

describe('doc links', () => {
  const sources = [...docNames().map((d) => join('docs', d)), 'README.md'];

  it.each(sources)('%s links only to files inside the repository that exist', (source) => {
    const text = readFileSync(join(repoRoot, source), 'utf8');
    expect(text).not.toMatch(/DESIGN\.md|STYLE\.md/);
    const broken: string[] = [];
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1].split('#')[0];
      if (target === '' || /^[a-z]+:/i.test(target)) continue; // same-page anchor, http(s), mailto
      const path = normalize(join(dirname(join(repoRoot, source)), target));
      if (!path.startsWith(repoRoot) || !existsSync(path)) broken.push(m[1]);
    }
    expect(broken).toEqual([]);
  });

  it('a link checker that sees a missing file fails', () => {
    expect(existsSync(join(repoRoot, 'docs', 'DESIGN.md'))).toBe(false);
    expect(readDoc('design.md')).toMatch(/\| I6 \|/);
  });
});
