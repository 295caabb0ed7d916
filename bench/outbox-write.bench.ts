/**
 * What recording an event costs a write: transactions per second of the same domain write
 * (one `repository.save()` of a new entity inside `dataSource.transaction()`), without and with
 * Lockstep recording one event in the same transaction, on the real private MariaDB.
 * Rounds alternate baseline/with so drift (other load on the machine, InnoDB warm-up) hits both.
 *
 *   node --conditions=lockstep-source --import @swc-node/register/esm-register bench/outbox-write.bench.ts           (~45 s)
 *   node --conditions=lockstep-source --import @swc-node/register/esm-register bench/outbox-write.bench.ts --quick   (a few s)
 *
 * Writes a markdown table to stdout and to bench/results/outbox-write.md.
 */
import 'reflect-metadata';
import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { IsInt, IsString, Min } from 'class-validator';
import { Column, DataSource, Entity, PrimaryColumn } from 'typeorm';
import { applyLockstepSchema, createTestDatabase } from '@lockstep/testing';
import { OutboxEvent } from '@lockstep/core';
import { OutboxSubscriber, OutboxWriter, RecordsEvents } from '@lockstep/outbox';

@OutboxEvent({ type: 'bench.order.placed', aggregate: 'bench-order', aggregateId: 'orderId' })
class OrderPlaced {
  @IsString() orderId: string;
  @IsInt() @Min(1) totalCents: number;
  @IsString() customer: string;
  constructor(orderId: string, totalCents: number, customer: string) {
    this.orderId = orderId;
    this.totalCents = totalCents;
    this.customer = customer;
  }
}

@Entity({ name: 'bench_orders' })
class BenchOrder extends RecordsEvents {
  @PrimaryColumn({ type: 'varchar', length: 64 }) id!: string;
  @Column({ type: 'varchar', length: 64 }) customer!: string;
  @Column({ type: 'int', name: 'total_cents' }) totalCents!: number;

  static create(id: string, withEvent: boolean): BenchOrder {
    const order = Object.assign(new BenchOrder(), { id, customer: 'customer-42', totalCents: 1999 });
    if (withEvent) order.record(new OrderPlaced(id, order.totalCents, order.customer));
    return order;
  }
}

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 2 : 4;
const ROUND_MS = quick ? 700 : 2_500;
const CONCURRENCIES = [1, 8];

let sequence = 0;

async function round(
  dataSource: DataSource,
  concurrency: number,
  withEvent: boolean,
  durationMs: number,
): Promise<{ txPerSec: number; p99Ms: number }> {
  const deadline = performance.now() + durationMs;
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const id = `o-${process.pid}-${++sequence}`;
        const t0 = performance.now();
        await dataSource.transaction(async (manager) => {
          await manager.save(BenchOrder.create(id, withEvent));
        });
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { txPerSec: latencies.length / seconds, p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? 0 };
}

const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

async function main(): Promise<void> {
  const db = await createTestDatabase('bench_outbox');
  await applyLockstepSchema(db);
  const admin = await db.admin();
  await admin.query(
    `CREATE TABLE bench_orders (id VARCHAR(64) PRIMARY KEY, customer VARCHAR(64) NOT NULL, total_cents INT NOT NULL) ENGINE=InnoDB`,
  );
  await admin.end();
  const dataSource = await new DataSource({
    type: 'mysql',
    ...db.options,
    username: db.options.user,
    entities: [BenchOrder],
    poolSize: Math.max(...CONCURRENCIES),
  }).initialize();
  dataSource.subscribers.push(new OutboxSubscriber(new OutboxWriter()));

  const lines: string[] = [];
  try {
    await round(dataSource, 8, true, quick ? 300 : 1_000); // warm-up: JIT, pool, InnoDB pages
    for (const concurrency of CONCURRENCIES) {
      const baseline: Array<{ txPerSec: number; p99Ms: number }> = [];
      const withOutbox: Array<{ txPerSec: number; p99Ms: number }> = [];
      for (let r = 0; r < ROUNDS; r++) {
        // alternate which goes first so neither side always gets the warmer slot
        const order = r % 2 === 0 ? [false, true] : [true, false];
        for (const withEvent of order)
          (withEvent ? withOutbox : baseline).push(await round(dataSource, concurrency, withEvent, ROUND_MS));
      }
      const b = median(baseline.map((x) => x.txPerSec));
      const w = median(withOutbox.map((x) => x.txPerSec));
      lines.push(
        `| ${concurrency} | ${Math.round(b)} | ${Math.round(w)} | ${(w / b).toFixed(2)} | ${median(baseline.map((x) => x.p99Ms)).toFixed(1)} | ${median(withOutbox.map((x) => x.p99Ms)).toFixed(1)} | ${baseline.map((x) => Math.round(x.txPerSec)).join(' / ')} | ${withOutbox.map((x) => Math.round(x.txPerSec)).join(' / ')} |`,
      );
    }
    const [{ n }] = await dataSource.query<[{ n: string }]>('SELECT COUNT(*) AS n FROM lockstep_outbox');
    const report = [
      `# Outbox write overhead${quick ? ' (--quick)' : ''}`,
      '',
      `Same domain write (\`repository.save()\` of a new entity in \`dataSource.transaction()\`), without and with one recorded event`,
      `(validated, serialised, inserted in the same transaction by the OutboxSubscriber). MariaDB 10.11 (private test instance,`,
      `binlog ROW/FULL, GTID), Node ${process.version}, ${cpus().length} CPUs shared with other work; ${ROUNDS} alternating rounds of ${ROUND_MS} ms, medians.`,
      '',
      '| connections | baseline tx/s | with Lockstep tx/s | ratio | baseline p99 ms | with p99 ms | baseline rounds | with rounds |',
      '|---:|---:|---:|---:|---:|---:|---|---|',
      ...lines,
      '',
      `Outbox rows written: ${n}. Generated ${new Date().toISOString()} by \`bench/outbox-write.bench.ts\`.`,
      '',
    ].join('\n');
    process.stdout.write(report);
    mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
    writeFileSync(new URL('./results/outbox-write.md', import.meta.url), report);
  } finally {
    await dataSource.destroy();
    await db.drop();
  }
}

await main();
