import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@lockstep/testing';
import { OutboxWriter } from '@lockstep/outbox';
import { DataSource } from 'typeorm';
import { OrderPlaced } from '../test/outbox-fixtures.js';

const run = promisify(execFile);

/** `npm run migrate` (the TypeORM CLI on migrations/data-source.ts) against a fresh database. */
describe('migrations via the TypeORM CLI (real MariaDB)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('outbox_mig');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('npm run migrate creates the tables, is idempotent, and the outbox accepts the writer', async () => {
    const env = { ...process.env, LOCKSTEP_MYSQL_URL: db.url };
    const first = await run('npm', ['run', '--silent', 'migrate'], { env, cwd: process.cwd(), timeout: 120_000 });
    expect(first.stdout).toContain('Migration CreateOutbox1764000000000 has been executed successfully');
    const second = await run('npm', ['run', '--silent', 'migrate'], { env, cwd: process.cwd(), timeout: 120_000 });
    expect(second.stdout).toContain('No migrations are pending');

    const c = await db.admin();
    try {
      const [tables] = await c.query<RowDataPacket[]>('SHOW TABLES');
      // other features may add their own migrations: only Lockstep's core tables are asserted here
      expect(tables.map((t) => Object.values(t)[0] as string)).toEqual(expect.arrayContaining([
        'lockstep_consumer_offsets',
        'lockstep_inbox',
        'lockstep_migrations',
        'lockstep_outbox',
        'lockstep_relay_checkpoint',
      ]));
    } finally {
      await c.end();
    }

    const dataSource = await new DataSource({ type: 'mysql', ...db.options, username: db.options.user }).initialize();
    try {
      const writer = new OutboxWriter();
      await dataSource.transaction((m) => writer.write(m, new OrderPlaced('m-1', 1)));
      const [row] = await dataSource.query<Array<{ aggregate_id: string; idLength: number | string }>>('SELECT aggregate_id, LENGTH(id) AS idLength FROM lockstep_outbox');
      expect({ ...row, idLength: Number(row.idLength) }).toEqual({ aggregate_id: 'm-1', idLength: 16 });
    } finally {
      await dataSource.destroy();
    }
  });
});
