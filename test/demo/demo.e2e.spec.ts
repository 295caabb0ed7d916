import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, findPayloadsInLogs, testCluster } from '@lockstep/testing';

/**
 * The README's main job, small: three services as real processes, the relay and the consumer
 * killed with SIGKILL mid-run (each only once it is publishing / applying), and a consistency
 * report that must come out all zero. Once on the shared single broker, once on the 3-node
 * cluster (RF 3, min ISR 2): the services only get another LOCKSTEP_KAFKA_BROKERS.
 */
describe('npm run demo (small)', () => {
  const cluster = testCluster();
  const customers = 50;
  // Payload values the demo writes (demo-workload.ts: customer-000 ... customer-049): no log may show one.
  const customerIds = Array.from({ length: customers }, (_, i) => `customer-${String(i).padStart(3, '0')}`);
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
      const logDir = mkdtempSync(join(tmpdir(), 'lockstep-demo-logs-'));
      const child = spawn(
        process.execPath,
        ['dist/scripts/demo/run-demo.js', '--orders', String(orders), '--concurrency', '8', '--customers', String(customers)],
        {
          env: {
            ...process.env,
            LOCKSTEP_DEMO_DATABASE: db.name,
            LOCKSTEP_DEMO_LOG_DIR: logDir,
            ...(brokers ? { LOCKSTEP_KAFKA_BROKERS: brokers } : {}),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      await db.drop();
      const logs = readdirSync(logDir)
        .filter((f) => /^demo-.*\.log$/.test(f))
        .map((f) => join(logDir, f));
      const logBytes = logs.reduce((n, f) => n + statSync(f).size, 0);
      const leaks = findPayloadsInLogs(customerIds, [...logs, { name: 'demo output', text: output }]);
      rmSync(logDir, { recursive: true, force: true });
      expect(output).toMatch(/kill -9 relay while publishing \([1-9]\d* events so far\)/);
      expect(output).toMatch(/kill -9 order-view while applying \([1-9]\d* events so far\)/);
      // The relay was killed with the workload running: events were written while it was down.
      const relayDown = /relay was down [\d.]+ s; (\d+) events written meanwhile/.exec(output);
      expect(relayDown, output).not.toBeNull();
      expect(Number(relayDown?.[1]), output).toBeGreaterThan(0);
      expect(output).toMatch(/order-view was down [\d.]+ s; \d+ events written meanwhile/);
      if (brokers) expect(output).toContain('replication factor 3');
      expect(output, output).toContain('RESULT: consistent');
      expect(code, output).toBe(0);
      // Logs never contain payloads: the three services' logs (non-empty) and the demo's own output.
      expect(logs.map((f) => f.split('/').pop()).sort()).toEqual(['demo-order-view.log', 'demo-orders.log', 'demo-relay.log']);
      expect(logBytes).toBeGreaterThan(0);
      expect(leaks).toEqual([]);
    },
    300_000,
  );
});
