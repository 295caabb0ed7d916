/** One measured run as the verdict sees it: did every written event arrive, once, in per-key order? */
export interface CheckedRun {
  scenario: string;
  system: string;
  run: number;
  ok: boolean;
  note?: string;
  missing: number;
  duplicates: number;
  orderViolations: number;
}

export interface BenchVerdict {
  ok: boolean;
  /** Runs whose events were all checked (missing / duplicates / order). */
  checkedRuns: number;
  /** Everything that makes the run a failure, one line each. */
  problems: string[];
}

/**
 * The benchmark's exit status: it fails when any system lost, duplicated or reordered an event,
 * a run did not finish, a system was skipped, or a system that was to run has no checked run
 * at all (so a benchmark that measured nothing cannot pass). `failures` are the run errors the
 * benchmark collected (a run that threw, timed out or whose process exited early).
 */
export function benchVerdict(input: {
  systems: readonly string[];
  skipped: ReadonlyMap<string, string>;
  runs: readonly CheckedRun[];
  failures: readonly string[];
}): BenchVerdict {
  const problems: string[] = [];
  for (const [id, why] of input.skipped) problems.push(`${id} was skipped: ${why}`);
  for (const id of input.systems) {
    if (!input.skipped.has(id) && !input.runs.some((r) => r.system === id)) problems.push(`${id}: no run was checked`);
  }
  for (const r of input.runs) {
    const what = `${r.scenario} ${r.system} run ${r.run}`;
    if (!r.ok) problems.push(`${what} did not finish${r.note ? `: ${r.note}` : ''}`);
    if (r.missing > 0) problems.push(`${what} lost ${r.missing} event(s)`);
    if (r.duplicates > 0) problems.push(`${what} duplicated ${r.duplicates} event(s)`);
    if (r.orderViolations > 0) problems.push(`${what} reordered ${r.orderViolations} event(s) of a key`);
  }
  problems.push(...input.failures);
  return { ok: problems.length === 0, checkedRuns: input.runs.length, problems };
}
