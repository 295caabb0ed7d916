import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRelayTestDatabase,
  dropRelayTestDatabase,
  gtidBinlogPos,
  insertOutboxRows,
  spawnRelayProcess,
  testOutboxEvent,
  uniqueName,
  waitFor,
  type RelayProcess,
  type RelayTestUser,
  type TestDatabase,
} from '@lockstep/testing';
import { createPrivateKafka, type PrivateKafka } from './fixtures/private-kafka.js';
import { readCommittedFrom } from './fixtures/kcat-reader.js';

/** The relay process configured for SASL/SCRAM-SHA-256 from the environment, against a broker that requires it. */
describe('relay over SASL/SCRAM (a private broker with a SCRAM listener)', () => {
  const scram = { username: 'lockstep-relay', password: randomBytes(12).toString('hex') };
  let db: TestDatabase;
  let relayUser: RelayTestUser;
  let kafka: PrivateKafka;
  const spawned: RelayProcess[] = [];

  beforeAll(async () => {
    ({ db, relayUser } = await createRelayTestDatabase('relaysasl'));
    kafka = await createPrivateKafka({ scram });
    await kafka.up();
  }, 240_000);
  afterAll(async () => {
    await Promise.all(spawned.map((p) => p.kill9()));
    await kafka?.down();
    await dropRelayTestDatabase({ db, relayUser });
  }, 120_000);

  const relayEnv = async (prefix: string, password: string): Promise<Record<string, string>> => {
    const admin = await db.admin();
    try {
      return {
        LOCKSTEP_MYSQL_URL: relayUser.url,
        LOCKSTEP_KAFKA_BROKERS: kafka.saslBrokers!,
        LOCKSTEP_KAFKA_SASL_MECHANISM: 'scram-sha-256',
        LOCKSTEP_KAFKA_SASL_USERNAME: scram.username,
        LOCKSTEP_KAFKA_SASL_PASSWORD: password,
        LOCKSTEP_RELAY_NAME: prefix,
        LOCKSTEP_TOPIC_PREFIX: prefix,
        LOCKSTEP_RELAY_INITIAL_GTID: await gtidBinlogPos(admin),
      };
    } finally {
      await admin.end();
    }
  };

  it('publishes with the credentials from the environment and never prints the password', { timeout: 180_000 }, async () => {
    const prefix = uniqueName('lssasl');
    const relay = spawnRelayProcess(await relayEnv(prefix, scram.password), join(tmpdir(), `${prefix}-relay.log`));
    spawned.push(relay);
    await relay.waitForOutput(/starting -> publishing/, 120_000);
    const events = [testOutboxEvent('acct', 'a-1', { seq: 1 }), testOutboxEvent('acct', 'a-1', { seq: 2 })];
    const admin = await db.admin();
    try {
      await insertOutboxRows(admin, events);
    } finally {
      await admin.end();
    }
    // Read back on the broker's plain listener by kcat: the data, not the relay's word for it.
    const records = await waitFor(
      'both events',
      async () => {
        const r = await readCommittedFrom(kafka.brokers, [`${prefix}.acct`], 20_000).catch(() => []);
        return r.length >= 2 ? r : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(records.map((r) => r.headers['lockstep-id'])).toEqual(events.map((e) => e.id));
    expect(await relay.terminate()).toBe(0);
    expect(relay.output()).not.toContain(scram.password);
  });

  it(
    'a wrong password stops the relay with KafkaAuthenticationError and the variables to check, not a retry loop',
    { timeout: 120_000 },
    async () => {
      const prefix = uniqueName('lssaslbad');
      const wrong = 'not-the-password';
      const relay = spawnRelayProcess(await relayEnv(prefix, wrong), join(tmpdir(), `${prefix}-relay.log`));
      spawned.push(relay);
      const { code } = await relay.exited;
      expect(code).toBe(1);
      expect(relay.output()).toContain('LOCKSTEP_RELAY_KAFKA_AUTH');
      expect(relay.output()).toContain('LOCKSTEP_KAFKA_SASL_PASSWORD');
      expect(relay.output()).not.toContain(wrong);
    },
  );
});
