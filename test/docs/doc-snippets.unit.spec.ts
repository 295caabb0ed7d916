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
      'export const a = 1;',
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
    expect(() => extractSnippets('<!-- file: src/a.ts -->\ntext\n```ts\n```\n', 'x.md')).toThrow(
      /must be followed by a code block/,
    );
    expect(() => extractSnippets('<!-- file: src/a.ts -->\n```bash\nls\n```\n', 'x.md')).toThrow(/only TypeScript blocks/);
    expect(() => extractSnippets('<!-- file: src/a.ts -->\n```ts\n```\n<!-- file: src/a.ts -->\n```ts\n```\n', 'x.md')).toThrow(
      /also the block/,
    );
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
      const [target, anchor] = m[1].split('#') as [string, string | undefined];
      if (/^[a-z]+:/i.test(target)) continue; // http(s), mailto
      const path = target === '' ? join(repoRoot, source) : normalize(join(dirname(join(repoRoot, source)), target));
      if (!path.startsWith(repoRoot) || !existsSync(path)) broken.push(m[1]);
      else if (anchor !== undefined && path.endsWith('.md') && !headingSlugs(readFileSync(path, 'utf8')).has(anchor))
        broken.push(m[1]);
    }
    expect(broken).toEqual([]);
  });

  it.each(sources)('%s names only repository paths that exist', (source) => {
    const text = readFileSync(join(repoRoot, source), 'utf8');
    const missing: string[] = [];
    for (const m of text.matchAll(/`((?:libs|apps|test|scripts|bench|migrations|docs)\/[^`\s]+)`/g)) {
      const path = m[1].replace(/:\d+$/, '');
      if (/[*<{]/.test(path)) continue; // a glob or a placeholder
      if (!existsSync(join(repoRoot, path))) missing.push(m[1]);
    }
    expect(missing).toEqual([]);
  });

  it('anchors are GitHub heading slugs; the design lives in docs/', () => {
    const slugs = headingSlugs(
      '# Hanging transactions (Kafka losing markers) — found and handled\n## 5. A handler\n```bash\n# not a heading\n```\n## 5. A handler\n',
    );
    expect([...slugs]).toEqual(['hanging-transactions-kafka-losing-markers--found-and-handled', '5-a-handler', '5-a-handler-1']);
    expect(existsSync(join(repoRoot, 'docs', 'DESIGN.md'))).toBe(false);
    expect(readDoc('design.md')).toMatch(/\| I6 \|/);
  });
});

/** GitHub's anchors of a markdown file's headings (outside code blocks). */
function headingSlugs(markdown: string): Set<string> {
  const slugs = new Set<string>();
  let inCode = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) inCode = !inCode;
    const m = inCode ? null : /^#{1,6}\s+(.*)$/.exec(line);
    if (!m) continue;
    const base = m[1]
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    let slug = base;
    for (let n = 1; slugs.has(slug); n++) slug = `${base}-${n}`;
    slugs.add(slug);
  }
  return slugs;
}
