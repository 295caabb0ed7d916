import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The TypeScript blocks of the docs, which must compile. Convention (docs/*.md):
 *
 * - Every ```ts block is a whole module: its imports included.
 * - `<!-- file: src/orders/order.entity.ts -->` on the line before a block (blank lines
 *   allowed in between) names the file it is in the adopting app. Blocks of one doc are written
 *   into one folder, so a block can import another block of the same doc by that path
 *   (`./order.entity.js`). A block without a name gets `snippet-<n>.ts`.
 * - ```ts fragment marks a block that is not a module (e.g. one call shown inside a longer
 *   explanation). It is not compiled; use it only where a whole file would hide the point. In
 *   docs/adopting.md every block must be a named file (the adoption e2e writes them into a new
 *   Nest app) and fragments are not allowed.
 * - Other languages (bash, sql, ini, ...) are not checked.
 */
export interface DocSnippet {
  /** e.g. `docs/outbox.md` */
  doc: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** Path relative to the app (or the doc's snippet folder). */
  file: string;
  /** Given by a `<!-- file: -->` comment (false: `snippet-<n>.ts`). */
  named: boolean;
  fragment: boolean;
  code: string;
}

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/;
const FILE_COMMENT = /^\s*<!--\s*file:\s*(\S+)\s*-->\s*$/;
const TS_LANGS = new Set(['ts', 'typescript', 'tsx']);

/** Extracts the TypeScript blocks of one markdown text. Throws on malformed markup. */
export function extractSnippets(markdown: string, doc: string): DocSnippet[] {
  const lines = markdown.split('\n');
  const snippets: DocSnippet[] = [];
  let pendingFile: { path: string; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i];
    const comment = FILE_COMMENT.exec(text);
    if (comment) {
      if (pendingFile)
        throw new Error(`${doc}:${i + 1}: a second file comment; the one on line ${pendingFile.line} names no block`);
      pendingFile = { path: comment[1], line: i + 1 };
      continue;
    }
    const fence = FENCE.exec(text);
    if (!fence) {
      if (pendingFile && text.trim() !== '') {
        throw new Error(`${doc}:${pendingFile.line}: "<!-- file: ${pendingFile.path} -->" must be followed by a code block`);
      }
      continue;
    }
    const [, indent, marker, lang, info] = fence as unknown as [string, string, string, string, string];
    const close = lines.findIndex((l, j) => j > i && l.trim().startsWith(marker) && l.trim().replace(/[`~]/g, '') === '');
    if (close < 0) throw new Error(`${doc}:${i + 1}: unclosed code block`);
    const body = lines.slice(i + 1, close).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l.trimStart()));
    if (TS_LANGS.has(lang.toLowerCase())) {
      const flags = info.split(/\s+/).filter(Boolean);
      const unknown = flags.filter((f) => f !== 'fragment');
      if (unknown.length > 0)
        throw new Error(`${doc}:${i + 1}: unknown flag(s) ${unknown.join(' ')} after \`\`\`${lang} (only "fragment")`);
      const fragment = flags.includes('fragment');
      if (fragment && pendingFile) throw new Error(`${doc}:${i + 1}: a fragment cannot be a named file`);
      const index = snippets.length + 1;
      snippets.push({
        doc,
        line: i + 1,
        file: pendingFile?.path ?? `snippet-${index}.ts`,
        named: pendingFile !== undefined,
        fragment,
        code: body.join('\n') + '\n',
      });
    } else if (pendingFile) {
      throw new Error(
        `${doc}:${pendingFile.line}: "<!-- file: -->" names a ${lang || 'plain'} block; only TypeScript blocks are files`,
      );
    }
    pendingFile = undefined;
    i = close;
  }
  if (pendingFile)
    throw new Error(`${doc}:${pendingFile.line}: "<!-- file: ${pendingFile.path} -->" at the end of the doc names no block`);
  const seen = new Map<string, number>();
  for (const s of snippets) {
    if (s.fragment) continue;
    if (seen.has(s.file)) throw new Error(`${doc}:${s.line}: ${s.file} is also the block on line ${seen.get(s.file)}`);
    if (s.file.startsWith('/') || s.file.split('/').includes('..') || !/\.tsx?$/.test(s.file)) {
      throw new Error(`${doc}:${s.line}: file ${s.file} must be a relative .ts path inside the app`);
    }
    seen.set(s.file, s.line);
  }
  return snippets;
}

/** Reads `docs/<name>` of this repository. */
export function readDoc(name: string): string {
  return readFileSync(join(repoRoot, 'docs', name), 'utf8');
}

/** Every markdown file in docs/. */
export function docNames(): string[] {
  return readdirSync(join(repoRoot, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort();
}

/**
 * docs/adopting.md's blocks, checked for the e2e: each one a named file, no fragments. These are
 * the files the adoption e2e writes into the new Nest app.
 */
export function adoptionSnippets(): DocSnippet[] {
  const snippets = extractSnippets(readDoc('adopting.md'), 'docs/adopting.md');
  const bad = snippets.filter((s) => s.fragment || !s.named);
  if (bad.length > 0) {
    throw new Error(
      `docs/adopting.md: every TypeScript block must be a named file (<!-- file: src/... -->), no fragments; see lines ${bad.map((s) => s.line).join(', ')}`,
    );
  }
  return snippets;
}
