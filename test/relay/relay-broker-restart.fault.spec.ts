import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import {
  checkExactlyOnceInOrder,
  createRelayTestDatabase,
  dropRelayTestDatabase,
  gtidBinlogPos,
  mirroredEventsPublished,
  readAllCommittedKafkajs,
  spawnRelayProcess,
  uniqueName,
  waitFor,
  type ReadRecord,
  type RelayProcess,
  type RelayTestUser,
  type TestDatabase,
} from '@lockstep/testing';
import { startLoadWriter } from './fixtures/outbox-load-writer.js';
import { createPrivateKafka, type PrivateKafka } from './fixtures/private-kafka.js';
import { readCommittedFrom } from './fixtures/kcat-reader.js';

const BOUNCES = Number(process.env.LOCKSTEP_BROKER_BOUNCES ?? 2);
/** > 0: each bounce first stalls the broker (SIGSTOP) this long, then kills it. */
const STALL_MS = Number(process.env.LOCKSTEP_BROKER_STALL_MS ?? 0);

describe('relay across broker kill -9 and restart (a private broker)', () => {
  let db: TestDatabase;
  let relayUser: RelayTestUser;
  let kafka: PrivateKafka;
  let relay: RelayProcess | null = null;
  let failed = false;

  beforeAll(async () => {
    ({ db, relayUser } = await createRelayTestDatabase('relaybroker'));
    kafka = await createPrivateKafka();
    await kafka.up();
  }, 240_000);
  afterAll(async () => {
    if (failed && process.env.LOCKSTEP_KEEP_BROKER === '1') {
      // Debugging aid: after a failure, leave the broker and the relay running for a look from outside.
      console.log(`LOCKSTEP_KEEP_BROKER: broker ${kafka?.brokers} and relay pid ${relay?.pid} left running`);
      return;
    }
    await relay?.kill9();
    await kafka?.down();
    await dropRelayTestDatabase({ db, relayUser });
  }, 120_000);

  // One retry, for liveness only: a broker restart on a loaded 2-core machine can outlast a
  // deadline, and when Kafka loses a transaction's markers on restart the relay stops with
  // HangingTransactionError rather than risk a duplicate (docs/relay.md, "Hanging transactions");
  // the retry runs with fresh names. A correctness failure (a duplicate, a loss, a reordering) is
  // never retried: once seen, every later attempt fails at once.
  let violation: string | null = null;
  it(
    `every committed event exactly once, in order, across ${BOUNCES} broker kill -9 + restart`,
    { timeout: 420_000, retry: 1 },
    async () => {
      if (violation) throw new Error(`an earlier attempt broke exactly-once (${violation}); not retried`);
      await relay?.kill9(); // a retried attempt must not leave the first attempt's relay running
      onTestFailed(() => {
        failed = true;
      });
      const prefix = uniqueName('lsbroker');
      const admin = await db.admin();
      const env = {
        LOCKSTEP_MYSQL_URL: relayUser.url,
        LOCKSTEP_KAFKA_BROKERS: kafka.brokers,
        LOCKSTEP_RELAY_NAME: prefix,
        LOCKSTEP_TOPIC_PREFIX: prefix,
        LOCKSTEP_RELAY_INITIAL_GTID: await gtidBinlogPos(admin),
        // A Kafka call hung across the restart is abandoned after half of this.
        LOCKSTEP_RELAY_TRANSACTION_TIMEOUT_MS: '20000',
      };
      await admin.end();
      const topic = `${prefix}.acct`;
      const writer = startLoadWriter(db, {
        writers: 2,
        aggregatesPerWriter: 5,
        aggregateTypes: ['acct'],
        maxRowsPerTx: 3,
        rollbackEvery: 6,
        paceMs: 20,
      });
      const relayLog = join(tmpdir(), `${prefix}-relay.log`);
      relay = spawnRelayProcess(env, relayLog);
      // Fail at once, with why, if the relay exits, or waits on a transaction whose markers Kafka lost
      // (HANGING_TRANSACTION: it would wait for an operator; the retry starts afresh).
      const running = relay;
      const relayDied = running.exited.then(({ code }) => {
        throw new Error(`the relay exited (code ${code}) mid-test:\n${running.output().slice(-3000)}`);
      });
      const relayHangs = running
        .waitForOutput(
          /LOCKSTEP_RELAY_HANGING_TRANSACTION|checkpoint partition .* holds records past its last stable offset/,
          24 * 3_600_000,
        )
        .then(() => {
          throw new Error(
            `Kafka lost a transaction's markers (hanging transaction); the relay waits for an operator:\n${running.output().slice(-3000)}`,
          );
        });
      relayDied.catch(() => undefined);
      relayHangs.catch(() => undefined);
      const whileRelayRuns = <T>(wait: Promise<T>): Promise<T> => Promise.race([wait, relayDied, relayHangs]);
      try {
        await relay.waitForOutput(/starting -> publishing/, 120_000);
        console.log('relay publishing');
        // Progress comes from the relay's checkpoint mirror in MySQL: a read_committed read while
        // the relay commits back-to-back may not reach the end of the partition (see mirroredEventsPublished).
        const published = (): Promise<number> => mirroredEventsPublished(db, prefix);
        for (let i = 0; i < BOUNCES; i += 1) {
          const before = await published();
          await whileRelayRuns(
            waitFor('the relay publishing before the bounce', async () => (await published()) > before + 20, {
              timeoutMs: 120_000,
              intervalMs: 250,
            }),
          );
          if (STALL_MS > 0) {
            // A stall longer than the relay's publish deadline: the relay abandons the hung producer
            // while that producer's requests are still queued on the broker.
            console.log(`bounce ${i}: stalling broker ${STALL_MS} ms`);
            await kafka.stall(STALL_MS);
            const afterStall = await published();
            await whileRelayRuns(
              waitFor('the relay publishing after the stall', async () => (await published()) > afterStall + 20, {
                timeoutMs: 120_000,
                intervalMs: 250,
              }),
            );
          }
          console.log(`bounce ${i}: killing broker`);
          await kafka.kill9();
          const committedAtKill = writer.committed.size;
          await waitFor('writers committing while the broker is down', () => writer.committed.size > committedAtKill + 50, {
            timeoutMs: 60_000,
          });
          console.log(`bounce ${i}: restarting broker`);
          await kafka.up();
          console.log(`bounce ${i}: broker up`);
        }
      } finally {
        await writer.stop();
      }
      await whileRelayRuns(
        waitFor(
          `all ${writer.committed.size} committed events published`,
          async () => (await mirroredEventsPublished(db, prefix)) >= writer.committed.size,
          { timeoutMs: 240_000, intervalMs: 500 },
        ),
      );
      // The relay is idle now: an outside reader reaches the end of the partition.
      const final = await readCommittedFrom(kafka.brokers, [topic], 60_000);
      const check = checkExactlyOnceInOrder(final, writer.committed);
      console.log(`broker restart: ${BOUNCES} bounces, ${writer.committed.size} committed, ${final.length} read`);
      if (check.duplicates.length > 0) {
        // Where the copies sit tells a duplicate in the log (two offsets) from a reader artefact.
        const dup = new Set(check.duplicates);
        console.log('broker data and logs kept in', await kafka.preserve(), '; relay log', relayLog);
        const where = (records: ReadRecord[]): string[] =>
          records
            .filter((r) => dup.has(r.headers['lockstep-id'] ?? ''))
            .map((r) => `${r.headers['lockstep-id']} p${r.partition}@${r.offset}`);
        console.log('duplicates (kcat):', where(final));
        // A second, unrelated client: agreement means the log holds the copies, disagreement a reader bug.
        console.log(
          'duplicates (kafkajs read_committed):',
          where(await readAllCommittedKafkajs([topic], { brokers: kafka.brokers })),
        );
      }
      const rolledBackSeen = final.filter((r) => writer.rolledBack.has(r.headers['lockstep-id'] ?? ''));
      const broken = {
        missing: check.missing.length,
        duplicates: check.duplicates.length,
        unexpected: check.unexpected.length,
        outOfOrder: check.outOfOrder.length,
        rolledBack: rolledBackSeen.length,
      };
      if (Object.values(broken).some((n) => n > 0)) violation = JSON.stringify(broken);
      expect(check.missing).toEqual([]);
      expect(check.duplicates).toEqual([]);
      expect(check.unexpected).toEqual([]);
      expect(check.outOfOrder).toEqual([]);
      expect(rolledBackSeen).toEqual([]);
      expect(await relay.terminate()).toBe(0);
    },
  );
});
