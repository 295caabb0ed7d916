import 'reflect-metadata';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@lockstep/testing';
import { OutboxWriter, outboxMigrations } from '@lockstep/outbox';
import { DataSource } from 'typeorm';
import { OrderPlaced } from '../test/outbox-fixtures.js';

/**
 * `outboxMigrations` in the app's own TypeORM DataSource (docs/adopting.md), against a fresh
 * database. (`npx lockstep migrate`, which runs every package's migrations, is tested in test/cli.)
 */
describe('outboxMigrations in a TypeORM DataSource (real MariaDB)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('outbox_mig');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('creates the outbox table, is idempotent, and the outbox accepts the writer', async () => {
    const migrating = () =>
      new DataSource({
        type: 'mysql',
        ...db.options,
        username: db.options.user,
        migrations: outboxMigrations,
        migrationsTableName: 'app_migrations',
      }).initialize();
    const first = await migrating();
    try {
      expect((await first.runMigrations()).map((m) => m.name)).toEqual(['CreateOutbox1764000000000']);
    } finally {
      await first.destroy();
    }
    const second = await migrating();
    try {
      expect(await second.runMigrations()).toEqual([]);
    } finally {
      await second.destroy();
    }
    const c = await db.admin();
    try {
      const [tables] = await c.query<RowDataPacket[]>('SHOW TABLES');
      expect(tables.map((t) => Object.values(t)[0] as string).sort()).toEqual(['app_migrations', 'lockstep_outbox']);
    } finally {
      await c.end();
    }

    const dataSource = await new DataSource({ type: 'mysql', ...db.options, username: db.options.user }).initialize();
    try {
      const writer = new OutboxWriter();
      await dataSource.transaction((m) => writer.write(m, new OrderPlaced('m-1', 1)));
      const [row] = await dataSource.query<Array<{ aggregate_id: string; idLength: number | string }>>(
        'SELECT aggregate_id, LENGTH(id) AS idLength FROM lockstep_outbox',
      );
      expect({ ...row, idLength: Number(row.idLength) }).toEqual({ aggregate_id: 'm-1', idLength: 16 });
    } finally {
      await dataSource.destroy();
    }
  });
});
