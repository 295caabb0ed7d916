import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatMysqlUrl } from '@lockstep/core';
import {
  createRelayTestDatabase,
  createTopics,
  dropRelayTestDatabase,
  findPayloadsInLogs,
  insertOutboxRows,
  readAllCommitted,
  spawnRelayProcess,
  testOutboxEvent,
  uniqueName,
  type RelayTestUser,
  type TestDatabase,
} from '@lockstep/testing';

/**
 * The relay PROCESS (`lockstep relay`, built) against a server it must refuse: it exits 1 with the
 * stable code and the exact fix, and publishes nothing (an outside read_committed read of the topic
 * stays empty although the outbox holds events). Each case makes its own MySQL user, so nothing
 * global changes for the tests running beside it.
 */
describe('lockstep relay refuses a misconfigured server (process, exit code, empty topic)', () => {
  let db: TestDatabase;
  let relayUser: RelayTestUser;
  const users: string[] = [];

  beforeAll(async () => {
    ({ db, relayUser } = await createRelayTestDatabase('preflightproc'));
  });
  afterAll(async () => {
    const admin = await db.admin();
    try {
      for (const user of users) await admin.query(`DROP USER IF EXISTS '${user}'@'%'`);
    } finally {
      await admin.end();
    }
    await dropRelayTestDatabase({ db, relayUser });
  });

  /** A user with exactly `grants` (each `GRANT <privileges> ON <target>`), no replication rights unless named. */
  async function userWith(grants: string[]): Promise<string> {
    const user = uniqueName('pf').replace('-', '_');
    users.push(user);
    const admin = await db.admin();
    try {
      await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY 'pw'`);
      for (const grant of grants) await admin.query(`${grant} TO '${user}'@'%'`);
    } finally {
      await admin.end();
    }
    return formatMysqlUrl({ ...db.options, user, password: 'pw' });
  }

  /** Writes events whose payloads carry a marker, starts the relay with `url`, returns its exit and output. */
  async function runRelayAgainst(url: string) {
    const prefix = uniqueName('lspre');
    const topic = `${prefix}.order`;
    await createTopics([topic]);
    const marker = uniqueName('secret-customer');
    const admin = await db.admin();
    try {
      await insertOutboxRows(
        admin,
        Array.from({ length: 5 }, (_, i) => testOutboxEvent('order', `o-${i}`, { customerId: `${marker}-${i}`, seq: i })),
      );
    } finally {
      await admin.end();
    }
    const relay = spawnRelayProcess({
      LOCKSTEP_MYSQL_URL: url,
      LOCKSTEP_RELAY_NAME: uniqueName('pfrelay'),
      LOCKSTEP_TOPIC_PREFIX: prefix,
      LOCKSTEP_RELAY_CHECKPOINT_TOPIC: `${prefix}.checkpoints`,
      LOCKSTEP_RELAY_INITIAL_POSITION: 'earliest',
    });
    const exited = await Promise.race([
      relay.exited,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`relay did not exit within 60 s; output:\n${relay.output()}`)), 60_000).unref(),
      ),
    ]).finally(() => relay.kill9());
    return { ...exited, output: relay.output(), records: await readAllCommitted([topic]), payloads: [marker] };
  }

  it('without REPLICATION grants: exit 1, LOCKSTEP_RELAY_PREFLIGHT with the GRANT to run, nothing published', async () => {
    const url = await userWith([
      `GRANT SELECT ON \`${db.name}\`.\`lockstep_outbox\``,
      `GRANT SELECT, INSERT, UPDATE ON \`${db.name}\`.\`lockstep_relay_checkpoint\``,
    ]);
    const run = await runRelayAgainst(url);
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain('cannot start LOCKSTEP_RELAY_PREFLIGHT');
    expect(run.output).toContain('grant REPLICATION SLAVE: the relay user cannot read the binlog');
    expect(run.output).toContain('How to fix: GRANT REPLICATION SLAVE ON *.* TO <relay user>');
    expect(run.output).toContain('GRANT BINLOG MONITOR ON *.* TO <relay user>');
    expect(run.records).toEqual([]);
    expect(findPayloadsInLogs(run.payloads, [{ name: 'relay output', text: run.output }])).toEqual([]);
  });

  it('with no grant on the database at all: a Lockstep code and the fix, not a bare "Access denied"', async () => {
    const url = await userWith([]);
    const run = await runRelayAgainst(url);
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain('cannot start LOCKSTEP_RELAY_PREFLIGHT');
    expect(run.output).not.toMatch(/(fatal|cannot start): Access denied/);
    expect(run.output).toContain(`database access: the relay user may not use database ${db.name}`);
    expect(run.output).toContain(`GRANT SELECT ON \`${db.name}\`.\`lockstep_outbox\` TO <relay user>`);
    expect(run.output).toContain('GRANT REPLICATION SLAVE ON *.* TO <relay user>');
    expect(run.records).toEqual([]);
    expect(findPayloadsInLogs(run.payloads, [{ name: 'relay output', text: run.output }])).toEqual([]);
  });
});
