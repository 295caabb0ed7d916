import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, testCluster } from '@lockstep/testing';

/**
 * The README's main job, small: three services as real processes, the relay and the consumer
 * killed with SIGKILL mid-run, and a consistency report that must come out all zero. Once on
 * the shared single broker, once on the 3-node cluster (RF 3, min ISR 2): the services only
 * get another LOCKSTEP_KAFKA_BROKERS.
 */
describe('npm run demo (small)', () => {
  const cluster = testCluster();
  it.each([
    { kafka: 'the single broker', brokers: undefined, orders: 300 },
    { kafka: 'the 3-node cluster', brokers: cluster.brokers().join(','), orders: 150 },
  ])(
    'on $kafka: ends with a clean consistency report after kill -9 of the relay and the consumer',
    async ({ brokers, orders }) => {
      // Another test may have left a cluster node down; `up kafka` starts only what is down.
      if (brokers && cluster.isLocal) await cluster.start();
      const db = await createTestDatabase('demo');
      await db.drop(); // the demo creates (and owns) its database; we only borrow a unique name
      const child = spawn(process.execPath, ['dist/scripts/demo/run-demo.js', '--orders', String(orders), '--concurrency', '8'], {
        env: { ...process.env, LOCKSTEP_DEMO_DATABASE: db.name, ...(brokers ? { LOCKSTEP_KAFKA_BROKERS: brokers } : {}) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      await db.drop();
      expect(output).toContain('kill -9 relay');
      expect(output).toContain('kill -9 order-view');
      if (brokers) expect(output).toContain('replication factor 3');
      expect(output, output).toContain('RESULT: consistent');
      expect(code, output).toBe(0);
    },
    300_000,
  );
});
