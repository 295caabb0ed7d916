import { describe, expect, it } from 'vitest';
import { benchVerdict, type CheckedRun } from '../../bench/lib/verdict.js';

const clean = (system: string): CheckedRun => ({
  scenario: 'catch-up 1 KiB',
  system,
  run: 1,
  ok: true,
  missing: 0,
  duplicates: 0,
  orderViolations: 0,
});
const verdict = (runs: CheckedRun[], extra: { skipped?: Map<string, string>; failures?: string[] } = {}) =>
  benchVerdict({ systems: ['lockstep', 'polling'], skipped: new Map(), failures: [], runs, ...extra });

describe('benchVerdict (the exit status of npm run bench)', () => {
  it('passes only when every system ran and every event arrived once, in order', () => {
    expect(verdict([clean('lockstep'), clean('polling')])).toEqual({ ok: true, checkedRuns: 2, problems: [] });
  });
  it.each([
    ['lost', { missing: 3 }, 'lost 3 event(s)'],
    ['duplicated', { duplicates: 1 }, 'duplicated 1 event(s)'],
    ['reordered', { orderViolations: 2 }, 'reordered 2 event(s) of a key'],
    ['unfinished', { ok: false, note: 'timed out with 5/10' }, 'did not finish: timed out with 5/10'],
  ])('fails when a system %s events', (_, change, problem) => {
    const v = verdict([clean('lockstep'), { ...clean('polling'), ...change }]);
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual([`catch-up 1 KiB polling run 1 ${problem}`]);
  });
  it('fails when a system was skipped, had no checked run, or a run threw', () => {
    expect(verdict([clean('lockstep')], { skipped: new Map([['polling', 'no java']]) }).problems).toEqual([
      'polling was skipped: no java',
    ]);
    expect(verdict([clean('lockstep')]).problems).toEqual(['polling: no run was checked']);
    expect(verdict([clean('lockstep'), clean('polling')], { failures: ['live polling run 1: boom'] }).problems).toEqual([
      'live polling run 1: boom',
    ]);
  });
});
