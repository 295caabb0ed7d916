/**
 * Consumer throughput: events per second applied exactly once (inbox row + handler + stored
 * offset in MySQL, Kafka offset after), one transaction per event vs one per run of events
 * (`mode: 'batch'`). Catch-up of a backlog on a 3-partition topic, real MariaDB and Kafka.
 * Rounds alternate the modes so drift hits both; every round checks the read model is exact.
 *
 *   node --conditions=lockstep-source --import @swc-node/register/esm-register bench/consumer-throughput.bench.ts           (~2 min)
 *   node --conditions=lockstep-source --import @swc-node/register/esm-register bench/consumer-throughput.bench.ts --quick   (~30 s)
 *
 * Writes a markdown table to stdout and to bench/results/consumer.md.
 */
import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { applyLockstepSchema, createTestDatabase, createTopics, uniqueName, waitFor } from '@lockstep/testing';
import { startTotalsConsumer } from '../test/consumer/fixtures/totals.fixture.js';
import {
  amountEvents,
  amountRecord,
  applyConsumerFixtureSchema,
  countApplied,
  expectedTotals,
  produceWire,
  readTotals,
} from '../test/consumer/consumer-test-kit.js';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 1 : 3;
const EVENTS = quick ? 1500 : 10000;
const PARTITIONS = 3;
const MODES = ['event', 'batch'] as const;
type Mode = (typeof MODES)[number];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main(): Promise<void> {
  const db = await createTestDatabase('cbench');
  await applyLockstepSchema(db);
  await applyConsumerFixtureSchema(db);
  const results: Record<Mode, number[]> = { event: [], batch: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of round % 2 === 0 ? MODES : [...MODES].reverse()) {
        const c = await db.admin();
        await c.query('TRUNCATE totals');
        await c.query('TRUNCATE applied');
        await c.end();
        const topic = uniqueName('cbench.amount');
        await createTopics([topic], { partitions: PARTITIONS });
        const events = amountEvents(EVENTS, 200);
        await produceWire(
          topic,
          events.map((e) => amountRecord(e)),
          500,
        );

        const consumer = await startTotalsConsumer(
          db.url,
          { consumerName: uniqueName(`bench-${mode}`), topics: [topic], mode, maxBatchEvents: 500 },
          false,
        );
        // Clock from the first applied event to the last: excludes the group join.
        await waitFor('first event applied', async () => (await countApplied(db)) > 0 || undefined, {
          timeoutMs: 60_000,
          intervalMs: 5,
        });
        const t0 = performance.now();
        const first = await countApplied(db);
        await waitFor(`${EVENTS} events applied`, async () => (await countApplied(db)) >= EVENTS || undefined, {
          timeoutMs: 600_000,
          intervalMs: 10,
        });
        const seconds = (performance.now() - t0) / 1000;
        await consumer.close();

        const totals = await readTotals(db);
        const expected = expectedTotals(events);
        if (
          JSON.stringify(totals) !==
            JSON.stringify(Object.fromEntries(Object.entries(expected).sort(([a], [b]) => (a < b ? -1 : 1)))) ||
          (await countApplied(db)) !== EVENTS
        ) {
          throw new Error(`round ${round} (${mode}): read model is not exact`);
        }
        const rate = (EVENTS - first) / seconds;
        results[mode].push(rate);
        process.stderr.write(`round ${round + 1}/${ROUNDS} ${mode}: ${rate.toFixed(0)} events/s (exact)\n`);
      }
    }
  } finally {
    await db.drop();
  }

  const ev = median(results.event);
  const ba = median(results.batch);
  const md = `# Consumer throughput (exactly once)

Catch-up of ${EVENTS} events on a ${PARTITIONS}-partition topic (records written in Kafka transactions, read \`read_committed\`),
handler = two non-idempotent writes (\`n = n + 1, sum = sum + amount\` and an apply-log row), each event with its inbox row and
the partition's stored offset in the same MySQL transaction. MariaDB 10.11 (private test instance), Kafka 4.4 (KRaft, one broker),
Node ${process.version}, ${cpus().length} CPUs shared with other work; ${ROUNDS} alternating round(s) per mode, medians; every round
checked exact against the source. Clocked from the first applied event to the last (group join excluded).

| mode | events/s (median) | rounds | ratio vs event |
|---|---:|---|---:|
| \`event\` (one transaction per event) | ${ev.toFixed(0)} | ${results.event.map((r) => r.toFixed(0)).join(' / ')} | 1.00 |
| \`batch\` (one transaction per run, up to 500) | ${ba.toFixed(0)} | ${results.batch.map((r) => r.toFixed(0)).join(' / ')} | ${(ba / ev).toFixed(2)} |

Generated ${new Date().toISOString()} by \`bench/consumer-throughput.bench.ts\`${quick ? ' --quick' : ''}.
`;
  process.stdout.write(md);
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/consumer.md', import.meta.url), md);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
