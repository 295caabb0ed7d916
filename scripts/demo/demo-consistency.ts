import type { Connection } from 'mysql2/promise';
import { uuidToString } from '@lockstep/core';
import { loyaltyPointsFor } from '@lockstep/order-contracts';
import { readAllCommitted } from '@lockstep/testing';

/** The end-of-run consistency report: source truth vs Kafka vs read models. */
/** mysql2's [rows, fields] for a `SELECT COUNT(*) AS n` query. */
type CountResult = [Array<{ n: number | string }>, unknown];

/** A row of demo_customer_totals (DECIMAL/BIGINT columns may come back as strings). */
interface CustomerTotalsRow {
  customer_id: string;
  orders_placed: number | string;
  placed_cents: number | string;
  paid_cents: number | string;
  cancelled_cents: number | string;
  loyalty_points: number | string;
}

export interface ConsistencyReport {
  sourceEvents: number;
  kafkaRecords: number;
  missingInKafka: number;
  duplicatedInKafka: number;
  unknownInKafka: number;
  outOfOrderInKafka: number;
  appliedEvents: number;
  missingInReadModel: number;
  leakedEvents: number; // events of orders that do not exist (a rolled-back transaction leaked)
  wrongCustomerTotals: number;
  wrongOrderStatuses: number;
}

export function problems(r: ConsistencyReport): number {
  return (
    r.missingInKafka +
    r.duplicatedInKafka +
    r.unknownInKafka +
    r.outOfOrderInKafka +
    r.missingInReadModel +
    r.leakedEvents +
    r.wrongCustomerTotals +
    r.wrongOrderStatuses
  );
}

export async function checkConsistency(db: Connection, topics: string[], consumerName: string): Promise<ConsistencyReport> {
  // Source truth: the outbox rows, in creation order (UUIDv7 ids sort by time; one writer
  // process per aggregate type locks the row, so this is commit order per aggregate).
  const [rows] = await db.query('SELECT id, aggregate_type, aggregate_id FROM lockstep_outbox ORDER BY id');
  const source = (rows as Array<{ id: Buffer; aggregate_type: string; aggregate_id: string }>).map((r) => ({
    id: uuidToString(r.id),
    aggregate: `${r.aggregate_type}/${r.aggregate_id}`,
    aggregateType: r.aggregate_type,
  }));
  const sourceIds = new Set(source.map((s) => s.id));

  // Kafka, read by an outside client (kcat) in read_committed mode.
  const records = await readAllCommitted(topics);
  const seen = new Map<string, number>();
  const kafkaOrder = new Map<string, string[]>();
  for (const record of records) {
    const id = record.headers['lockstep-id'] ?? '';
    seen.set(id, (seen.get(id) ?? 0) + 1);
    const aggregate = `${record.headers['lockstep-aggregate-type']}/${record.key}`;
    const list = kafkaOrder.get(aggregate) ?? [];
    list.push(id);
    kafkaOrder.set(aggregate, list);
  }
  let outOfOrder = 0;
  const sourceOrder = new Map<string, string[]>();
  for (const s of source) {
    // Orders are changed under a row lock by one service: their creation order is their
    // commit order. Loyalty events of one customer come from concurrent consumer
    // transactions, whose commit order the outbox rows cannot tell, so they are not compared.
    if (s.aggregateType !== 'order') continue;
    const list = sourceOrder.get(s.aggregate) ?? [];
    list.push(s.id);
    sourceOrder.set(s.aggregate, list);
  }
  for (const [aggregate, expected] of sourceOrder) {
    const actual = (kafkaOrder.get(aggregate) ?? []).filter((id) => sourceIds.has(id));
    const firstSeen = actual.filter((id, i) => actual.indexOf(id) === i);
    if (firstSeen.join() !== expected.filter((id) => seen.has(id)).join()) outOfOrder++;
  }

  const [inboxRows] = await db.query('SELECT event_id FROM lockstep_inbox WHERE consumer = ?', [consumerName]);
  const applied = new Set((inboxRows as Array<{ event_id: Buffer }>).map((r) => uuidToString(r.event_id)));

  const [[leak]] = (await db.query(
    "SELECT COUNT(*) AS n FROM lockstep_outbox o LEFT JOIN demo_orders d ON d.id = o.aggregate_id WHERE o.aggregate_type = 'order' AND d.id IS NULL",
  )) as CountResult;

  // Read models vs the values computed from the source tables.
  const [orders] = await db.query('SELECT id, customer_id, total_cents, status FROM demo_orders');
  const expected = new Map<string, { placed: number; placedCents: number; paid: number; cancelled: number; points: number }>();
  for (const o of orders as Array<{ id: string; customer_id: string; total_cents: number; status: string }>) {
    const e = expected.get(o.customer_id) ?? { placed: 0, placedCents: 0, paid: 0, cancelled: 0, points: 0 };
    e.placed++;
    e.placedCents += o.total_cents;
    if (o.status === 'paid') {
      e.paid += o.total_cents;
      e.points += loyaltyPointsFor(o.total_cents);
    }
    if (o.status === 'cancelled') e.cancelled += o.total_cents;
    expected.set(o.customer_id, e);
  }
  const [totals] = await db.query('SELECT * FROM demo_customer_totals');
  const actualTotals = new Map((totals as CustomerTotalsRow[]).map((t) => [t.customer_id, t]));
  let wrongTotals = 0;
  for (const [customer, e] of expected) {
    const t = actualTotals.get(customer);
    const same =
      t &&
      Number(t.orders_placed) === e.placed &&
      Number(t.placed_cents) === e.placedCents &&
      Number(t.paid_cents) === e.paid &&
      Number(t.cancelled_cents) === e.cancelled &&
      Number(t.loyalty_points) === e.points;
    if (!same) wrongTotals++;
  }
  wrongTotals += [...actualTotals.keys()].filter((c) => !expected.has(c)).length;
  const [[statusDiff]] = (await db.query(
    `SELECT COUNT(*) AS n FROM demo_orders o LEFT JOIN demo_order_status v ON v.order_id = o.id
     WHERE v.order_id IS NULL OR v.status <> o.status OR v.total_cents <> o.total_cents`,
  )) as CountResult;

  return {
    sourceEvents: source.length,
    kafkaRecords: records.length,
    missingInKafka: source.filter((s) => !seen.has(s.id)).length,
    duplicatedInKafka: [...seen.values()].filter((n) => n > 1).length,
    unknownInKafka: [...seen.keys()].filter((id) => !sourceIds.has(id)).length,
    outOfOrderInKafka: outOfOrder,
    appliedEvents: applied.size,
    missingInReadModel: source.filter((s) => !applied.has(s.id)).length,
    leakedEvents: Number(leak?.n),
    wrongCustomerTotals: wrongTotals,
    wrongOrderStatuses: Number(statusDiff?.n),
  };
}
