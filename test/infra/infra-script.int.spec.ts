import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConfigResourceTypes } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { readAllCommitted, testCluster, uniqueName, waitFor } from '@lockstep/testing';

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

/**
 * The three-node cluster the global setup starts for cluster tests (testCluster():
 * LOCKSTEP_LOCAL_KAFKA_NODES=3 in .lockstep/cluster, brokers 19092-19094): three copies of
 * every partition with two in sync, so it keeps taking transactional writes with a node dead,
 * and `up` brings the dead node back without touching the live ones.
 */
describe('scripts/infra/lockstep-infra.sh with LOCKSTEP_LOCAL_KAFKA_NODES=3', () => {
  const cluster = testCluster();

  afterAll(async () => {
    // Whatever happened in the test, leave the shared cluster with all its nodes up.
    if (cluster.isLocal) await cluster.start();
  });

  it('replicates three times with min.insync.replicas=2, topics and __transaction_state alike', async () => {
    const kafka = cluster.kafka();
    const admin = kafka.admin();
    await admin.connect();
    const topic = uniqueName('cluster-rf3');
    try {
      // Waited for, not read once: a fault test before this one may have just restarted a node.
      await waitFor('three brokers in the metadata', async () => (await admin.describeCluster()).brokers.length === 3, {
        timeoutMs: 60_000,
      });
      expect((await admin.describeCluster()).brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);

      await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, replicationFactor: 3 }] });
      const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
      expect(meta.partitions[0].replicas).toHaveLength(3);
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: topic,
            configNames: ['min.insync.replicas', 'unclean.leader.election.enable'],
          },
        ],
      });
      const config = Object.fromEntries(resources[0].configEntries.map((e) => [e.configName, e.configValue]));
      expect(config).toEqual({ 'min.insync.replicas': '2', 'unclean.leader.election.enable': 'false' });

      // __transaction_state exists once a transactional producer has initialised.
      const producer = kafka.producer({ transactionalId: uniqueName('cluster-tx'), idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      try {
        const tx = await producer.transaction();
        await tx.send({ topic, messages: [{ value: 'one' }] });
        await tx.commit();
      } finally {
        await producer.disconnect();
      }
      const [state] = (await admin.fetchTopicMetadata({ topics: ['__transaction_state'] })).topics;
      expect(state.partitions).toHaveLength(3);
      expect(state.partitions.every((p) => p.replicas.length === 3)).toBe(true);
    } finally {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });

  it.skipIf(!cluster.isLocal)(
    'commits a transaction with its coordinator node killed -9, and `up kafka` brings that node back',
    { timeout: 300_000 },
    async () => {
      // Retries (connections, metadata, coordinator look-ups: the client's; sends: the
      // producer's) that outlast the ~9 s until the controller fences a dead node and moves
      // its leaderships (broker.session.timeout.ms); kafkajs' default gives up after ~10 s.
      const retry = { retries: 12, initialRetryTime: 300, maxRetryTime: 5_000 };
      const kafka = cluster.kafka('lockstep-test-cluster-kill', { retry });
      const topic = uniqueName('cluster-kill');
      const transactionalId = uniqueName('cluster-kill-tx');
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, replicationFactor: 3 }] });
      const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, retry });
      await producer.connect();
      try {
        const first = await producer.transaction();
        await first.send({ topic, messages: [{ key: 'k', value: 'before' }] });
        await first.commit();

        // The worst node to lose for this producer: its transaction coordinator.
        const victim = await cluster.transactionCoordinatorOf(transactionalId);
        const survivors = [1, 2, 3].filter((n) => n !== victim);
        const survivorPids = survivors.map((n) => cluster.pidOf(n));
        await cluster.kill(victim, 'SIGKILL');
        expect((await cluster.infra(['status', 'kafka'])).stdout).toMatch(new RegExp(`kafka-${victim}: down`));
        expect(await cluster.isUp(victim)).toBe(false);

        const second = await producer.transaction();
        await second.send({ topic, messages: [{ key: 'k', value: 'after' }] });
        await second.commit();
        expect(await cluster.transactionCoordinatorOf(transactionalId)).not.toBe(victim);
        expect(await cluster.leaderOf(topic, 0)).not.toBe(victim);
        const live = survivors.map((n) => cluster.brokers()[n - 1]).join(',');
        expect((await readAllCommitted([topic], { brokers: live })).map((r) => r.value?.toString())).toEqual(['before', 'after']);

        await cluster.start();
        const status = (await cluster.infra(['status', 'kafka'])).stdout;
        expect(status).toMatch(/kafka-1: up[\s\S]*kafka-2: up[\s\S]*kafka-3: up/);
        expect(survivors.map((n) => cluster.pidOf(n))).toEqual(survivorPids); // left alone
        expect(await cluster.isUp(victim)).toBe(true);
        await waitFor(
          'the cluster to list all three brokers again',
          async () => (await admin.describeCluster()).brokers.length === 3,
          { timeoutMs: 30_000 },
        );
      } finally {
        await producer.disconnect().catch(() => undefined);
        await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
        await admin.disconnect();
      }
    },
  );
});
