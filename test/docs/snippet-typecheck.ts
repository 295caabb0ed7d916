import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, type DocSnippet } from './doc-snippets.js';

const execFileAsync = promisify(execFile);

/** One compiler diagnostic, pointed back at the doc line it comes from. */
export interface SnippetDiagnostic {
  /** `docs/outbox.md:42` (or the generated file when it is not a snippet). */
  where: string;
  message: string;
}

/** Files `nest new` generates that adopting.md's app module imports; stand-ins for the check here. */
export const NEST_NEW_STUBS: Record<string, string> = {
  'src/app.service.ts': `import { Injectable } from '@nestjs/common';

@Injectable()
export class AppService {
  getHello(): string {
    return 'Hello World!';
  }
}
`,
  'src/app.controller.ts': `import { Controller, Get } from '@nestjs/common';
import { AppService } from './app.service.js';

@Controller()
export class AppController {
  constructor(private readonly appService: AppService) {}

  @Get()
  getHello(): string {
    return this.appService.getHello();
  }
}
`,
};

/**
 * Writes each group's snippets into `<dir>/<group>/<file>` and type-checks them all in one run
 * of the repository's tsc, strict, against the workspace packages (their sources, through the
 * `lockstep-source` export condition, like the repo's own type-check). `dir` must be inside the
 * repository so that `@lockstep/*` and the public dependencies resolve from its node_modules.
 */
export async function typecheckSnippets(
  dir: string,
  groups: Array<{ name: string; snippets: DocSnippet[]; extraFiles?: Record<string, string> }>,
): Promise<SnippetDiagnostic[]> {
  const origin = new Map<string, DocSnippet>();
  for (const group of groups) {
    for (const [file, code] of Object.entries(group.extraFiles ?? {})) write(join(dir, group.name, file), code);
    for (const s of group.snippets) {
      if (s.fragment) continue;
      const path = join(dir, group.name, s.file);
      write(path, s.code);
      origin.set(relative(dir, path), s);
    }
  }
  write(
    join(dir, 'tsconfig.json'),
    JSON.stringify(
      {
        extends: join(repoRoot, 'tsconfig.base.json'),
        compilerOptions: {
          noEmit: true,
          strict: true,
          incremental: false,
          rootDir: '.',
          customConditions: ['lockstep-source'],
          // vitest/globals: adopting.md's handler test uses the test runner's globals (describe, it,
          // expect), as the apps `nest new` generates do (Vitest globals or Jest).
          types: ['node', 'vitest/globals'],
        },
        include: ['**/*.ts'],
      },
      null,
      2,
    ),
  );
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = await execFileAsync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], {
    cwd: dir,
    maxBuffer: 64 * 1024 * 1024,
  }).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({
      code: e.code ?? 1,
      stdout: `${e.stdout ?? ''}${e.stderr ?? ''}`,
    }),
  );
  const diagnostics: SnippetDiagnostic[] = [];
  // e.g. "docs-outbox/snippet-2.ts(3,5): error TS2304: Cannot find name 'Order'."
  for (const line of result.stdout.split('\n')) {
    const m = /^(.+?)\((\d+),(\d+)\): (error .*)$/.exec(line.trim());
    if (m) {
      const [, file, row, col, message] = m as unknown as [string, string, string, string, string];
      const s = origin.get(file);
      // +1: the code starts on the line after the opening fence
      diagnostics.push({
        where: s ? `${s.doc}:${s.line + Number(row)} (${s.file}:${row}:${col})` : `${file}:${row}:${col}`,
        message,
      });
    } else if (line.trim() !== '' && !line.startsWith(' ')) {
      diagnostics.push({ where: 'tsc', message: line.trim() });
    }
  }
  if (result.code !== 0 && diagnostics.length === 0)
    diagnostics.push({ where: 'tsc', message: `exit code ${result.code}: ${result.stdout.slice(0, 2000)}` });
  return diagnostics;
}

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
