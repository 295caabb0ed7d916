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
/** The relay's Kafka transaction timeout here; its publish deadline is 5 s less (publishDeadlineMs). */
const TRANSACTION_TIMEOUT_MS = 20_000;
/**
 * The first STALL_BOUNCES bounces first stall the broker (SIGSTOP) this long, then kill it: longer
 * than the relay's publish deadline (15 s), so the relay abandons a hung producer whose requests are
 * still queued on the broker. On by default (one stalled bounce); 0 turns it off.
 */
const STALL_MS = Number(process.env.LOCKSTEP_BROKER_STALL_MS ?? 17_000);
const STALL_BOUNCES = Number(process.env.LOCKSTEP_BROKER_STALL_BOUNCES ?? 1);

/** What a read_committed read shows against what MySQL committed, named id by id (first 20 of each kind). */
function describeViolations(violations: Record<string, string[]>): string {
  const parts = Object.entries(violations)
    .filter(([, ids]) => ids.length > 0)
    .map(([kind, ids]) => `${ids.length} ${kind}: ${ids.slice(0, 20).join(', ')}${ids.length > 20 ? ', ...' : ''}`);
  return parts.length > 0 ? parts.join('; ') : 'nothing missing, duplicated, unexpected or out of order';
}

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

  // No retry: a second attempt would hide what went wrong in the first (a loss, a duplicate, a relay
  // stuck on a hanging transaction). Whatever stops the test, Kafka is read and judged first.
  it(
    `every committed event exactly once, in order, across ${BOUNCES} broker kill -9 + restart (${Math.min(STALL_BOUNCES, BOUNCES)} after a ${STALL_MS} ms stall)`,
    { timeout: 480_000 },
    async () => {
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
        // A Kafka call hung across the restart is abandoned after the publish deadline (this less 5 s).
        LOCKSTEP_RELAY_TRANSACTION_TIMEOUT_MS: String(TRANSACTION_TIMEOUT_MS),
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
      // (HANGING_TRANSACTION: it would wait for an operator).
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
      // Why the test stopped early (a deadline, the relay dying or hanging): Kafka is still read and judged.
      let stoppedBy: Error | null = null;
      let stalledBounces = 0;
      try {
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
            if (STALL_MS > 0 && i < STALL_BOUNCES) {
              stalledBounces += 1;
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
      } catch (error) {
        stoppedBy = error instanceof Error ? error : new Error(String(error));
        // A stuck relay may hold a transaction open, and a read_committed reader stops before it:
        // kill it, and give the broker the transaction timeout to abort what it left open.
        await relay.kill9();
        await kafka.up().catch(() => undefined); // idempotent: the broker may have been down when the test stopped; the read below says if it is not up
      }
      // The relay is idle (or gone) now: an outside reader reaches the end of the partition.
      let final: ReadRecord[];
      try {
        final = await readCommittedFrom(kafka.brokers, [topic], stoppedBy ? TRANSACTION_TIMEOUT_MS + 60_000 : 60_000);
      } catch (readError) {
        throw new Error(
          `${stoppedBy ? `${stoppedBy.message}; then ` : ''}Kafka could not be read (read_committed): ${String(readError)}`,
          { cause: readError },
        );
      }
      const check = checkExactlyOnceInOrder(final, writer.committed);
      console.log(
        `broker restart: ${BOUNCES} bounces (${stalledBounces} after a ${STALL_MS} ms stall; ${
          relay.output().match(/KafkaDeadlineError/g)?.length ?? 0
        } publishes abandoned at the deadline), ${writer.committed.size} committed, ${final.length} read`,
      );
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
      const verdict = describeViolations({
        missing: check.missing,
        duplicated: check.duplicates,
        unexpected: check.unexpected,
        'out of order': check.outOfOrder,
        'rolled back yet published': rolledBackSeen.map((r) => r.headers['lockstep-id'] ?? ''),
      });
      console.log(`broker restart, read_committed against MySQL's commits: ${verdict}`);
      if (stoppedBy) {
        throw new Error(
          `${stoppedBy.message}\nKafka read afterwards: ${final.length} records for ${writer.committed.size} committed events; ${verdict}`,
          { cause: stoppedBy },
        );
      }
      expect(check.missing, verdict).toEqual([]);
      expect(check.duplicates, verdict).toEqual([]);
      expect(check.unexpected, verdict).toEqual([]);
      expect(check.outOfOrder, verdict).toEqual([]);
      expect(rolledBackSeen, verdict).toEqual([]);
      expect(await relay.terminate()).toBe(0);
    },
  );
});
