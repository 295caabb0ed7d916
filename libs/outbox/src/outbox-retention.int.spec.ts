import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TestDatabase } from '@lockstep/testing';
import { OutboxRetention, utcDatetime6 } from '@lockstep/outbox';
import { createOutboxTestDatabase, outboxDataSource } from '../test/outbox-fixtures.js';

const MINUTE = 60_000;

describe('outbox retention (real MariaDB)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  const now = Date.now();

  /** n rows per age in minutes, created directly (retention does not care who wrote them). */
  async function seed(agesInMinutes: number[]): Promise<void> {
    for (const age of agesInMinutes) {
      await dataSource.query(
        `INSERT INTO lockstep_outbox (id, aggregate_type, aggregate_id, event_type, payload, headers, created_at)
         VALUES (UNHEX(REPLACE(UUID(), '-', '')), 'a', 'x', 't', '{}', '{}', ?)`,
        [utcDatetime6(now - age * MINUTE)],
      );
    }
  }
  const remaining = async () =>
    Number((await dataSource.query<Array<{ n: number | string }>>('SELECT COUNT(*) AS n FROM lockstep_outbox'))[0].n);
  const checkpoint = (name: string, ageMinutes: number | null) =>
    dataSource.query(
      `INSERT INTO lockstep_relay_checkpoint (relay_name, gtid_set, last_event_created_at, updated_at) VALUES (?, '0-1-1', ?, NOW(6))`,
      [name, ageMinutes === null ? null : utcDatetime6(now - ageMinutes * MINUTE)],
    );

  beforeAll(async () => {
    db = await createOutboxTestDatabase('outbox_ret');
    ({ dataSource } = await outboxDataSource(db));
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });
  beforeEach(async () => {
    await dataSource.query('DELETE FROM lockstep_outbox');
    await dataSource.query('DELETE FROM lockstep_relay_checkpoint');
  });

  it('deletes nothing while no relay has a checkpoint (unless told not to require one)', async () => {
    await seed([120, 90, 1]);
    const strict = await new OutboxRetention(dataSource, { periodMs: 60 * MINUTE }).runOnce(now);
    expect(strict).toMatchObject({ deleted: 0, skipped: 'no-relay-checkpoint' });
    expect(await remaining()).toBe(3);
    const byAge = await new OutboxRetention(dataSource, { periodMs: 60 * MINUTE, requireRelayCheckpoint: false }).runOnce(now);
    expect(byAge.deleted).toBe(2);
    expect(await remaining()).toBe(1);
  });

  it('a missing checkpoint table counts as no checkpoint', async () => {
    await seed([120]);
    const result = await new OutboxRetention(dataSource, { periodMs: 0, relayCheckpointTable: 'no_such_table' }).runOnce(now);
    expect(result).toMatchObject({ deleted: 0, skipped: 'no-relay-checkpoint' });
    expect(await remaining()).toBe(1);
  });

  it('never deletes rows the slowest relay has not published', async () => {
    await seed([300, 200, 100, 50, 10]);
    await checkpoint('relay-fast', 5);
    await checkpoint('relay-slow', 100); // has published up to the row 100 minutes old
    const result = await new OutboxRetention(dataSource, { periodMs: 0 }).runOnce(now);
    expect(result.deleted).toBe(3); // 300, 200 and 100 (<= boundary)
    expect(result.relayBoundary).toBe(utcDatetime6(now - 100 * MINUTE));
    expect(await remaining()).toBe(2);
  });

  it('keeps rows younger than the period even when published', async () => {
    await seed([300, 200, 100]);
    await checkpoint('relay', 0);
    expect((await new OutboxRetention(dataSource, { periodMs: 150 * MINUTE }).runOnce(now)).deleted).toBe(2);
    expect(await remaining()).toBe(1);
  });

  it('holds everything back while one relay has published nothing yet', async () => {
    await seed([300]);
    await checkpoint('relay-a', 0);
    await checkpoint('relay-new', null);
    expect(await new OutboxRetention(dataSource, { periodMs: 0 }).runOnce(now)).toMatchObject({
      deleted: 0,
      skipped: 'relay-has-not-published',
    });
    expect(await remaining()).toBe(1);
  });

  it('deletes in small batches until done', async () => {
    await seed(Array.from({ length: 53 }, (_, i) => 10 + i));
    await checkpoint('relay', 0);
    const statements: string[] = [];
    const original = dataSource.query.bind(dataSource);
    const spy = Object.create(dataSource) as DataSource;
    spy.query = ((sql: string, params?: unknown[]) => {
      statements.push(sql);
      return original(sql, params);
    }) as DataSource['query'];
    const result = await new OutboxRetention(spy, { periodMs: 0, batchSize: 10 }).runOnce(now);
    expect(result.deleted).toBe(53);
    expect(statements.filter((s) => s.startsWith('DELETE'))).toHaveLength(6);
    expect(statements.find((s) => s.startsWith('DELETE'))).toMatch(/ORDER BY created_at LIMIT 10$/);
    expect(await remaining()).toBe(0);
  });
});
