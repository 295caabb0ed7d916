import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const execFileAsync = promisify(execFile);

/**
 * The infra script on a second, throw-away home and ports: `up` twice is harmless, `down`
 * leaves no process of ours, and the shared servers the other tests use are not touched.
 */
describe('scripts/infra/lockstep-infra.sh', () => {
  const home = mkdtempSync(join(tmpdir(), 'lockstep-infra-'));
  const env = {
    ...process.env,
    LOCKSTEP_HOME: home,
    LOCKSTEP_LOCAL_MYSQL_PORT: '3397',
    LOCKSTEP_LOCAL_KAFKA_PORT: '19192',
    LOCKSTEP_LOCAL_KAFKA_CONTROLLER_PORT: '19193',
    LOCKSTEP_MYSQL_URL: '',
    LOCKSTEP_KAFKA_BROKERS: '',
  };
  const infra = (...args: string[]) =>
    execFileAsync('bash', ['scripts/infra/lockstep-infra.sh', ...args], { env, timeout: 180_000 });
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  afterAll(async () => {
    await infra('down').catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
  });

  it('starts, is idempotent, and stops only what it started', async () => {
    await infra('up');
    const pids = ['mariadb', 'kafka'].map((name) => Number(readFileSync(join(home, 'run', `${name}.pid`), 'utf8')));
    expect(pids.every(alive)).toBe(true);

    const second = await infra('up');
    expect(second.stderr).toMatch(/mariadb already running/);
    expect(second.stderr).toMatch(/kafka already running/);
    expect((await infra('status')).stdout).toMatch(/mariadb: up[\s\S]*kafka: +up/);

    await infra('down');
    expect(pids.some(alive)).toBe(false);
    expect((await infra('status')).stdout).toMatch(/mariadb: down[\s\S]*kafka: +down/);

    // The shared servers of the other tests are still up.
    const shared = await execFileAsync('bash', ['scripts/infra/lockstep-infra.sh', 'status']);
    expect(shared.stdout).toMatch(/mariadb: up[\s\S]*kafka: +up/);
  });
});
