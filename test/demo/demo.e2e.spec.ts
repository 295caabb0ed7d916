import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '@lockstep/testing';

/**
 * The README's main job, small: three services as real processes, the relay and the consumer
 * killed with SIGKILL mid-run, and a consistency report that must come out all zero.
 */
describe('npm run demo (small)', () => {
  it('ends with a clean consistency report after kill -9 of the relay and the consumer', async () => {
    const db = await createTestDatabase('demo');
    await db.drop(); // the demo creates (and owns) its database; we only borrow a unique name
    const child = spawn(
      process.execPath,
      ['--import', '@swc-node/register/esm-register', 'scripts/demo/run-demo.ts', '--orders', '300', '--concurrency', '8'],
      { env: { ...process.env, LOCKSTEP_DEMO_DATABASE: db.name }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    await db.drop();
    expect(output).toContain('kill -9 relay');
    expect(output).toContain('kill -9 order-view');
    expect(output, output).toContain('RESULT: consistent');
    expect(code, output).toBe(0);
  }, 300_000);
});
