import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * `npm run bench -- --quick`: a smoke run of every benchmarked system (Lockstep, Debezium,
 * the polling relay, the machine's limits). It asserts that the benchmark ran and checked
 * its outputs — never a speed (the machine is shared and noisy). Exit 0 means every system ran
 * and lost, duplicated and reordered nothing: the bench exits 1 otherwise (bench/lib/verdict.ts,
 * its cases in bench-verdict.unit.spec.ts).
 */
describe('npm run bench -- --quick', () => {
  it('runs every system, checks their outputs, and writes tables and plots', async () => {
    const out = mkdtempSync(join(tmpdir(), 'lockstep-bench-'));
    const child = spawn('bash', ['scripts/bench.sh', '--quick'], {
      env: { ...process.env, LOCKSTEP_BENCH_RESULTS_DIR: out },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const files = readdirSync(out);
    rmSync(out, { recursive: true, force: true });
    expect(code, output.slice(-4000)).toBe(0);
    expect(output).toMatch(/VERDICT ok: [1-9]\d* runs checked, no event lost, duplicated or reordered, no system skipped/);
    expect(output).toMatch(/\| *system *\|/i);
    expect(files.some((f) => f.endsWith('.md'))).toBe(true);
    expect(files.some((f) => f.endsWith('.svg'))).toBe(true);
  }, 600_000);
});
