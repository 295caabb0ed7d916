import ZongJi, { type WriteRowsEvent } from '@vlasky/zongji';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, waitFor, type TestDatabase } from '@lockstep/testing';

/**
 * Proof that the private MariaDB logs row events with full metadata and GTIDs, and that
 * @vlasky/zongji (on mysql2) reads them: the base the relay stands on.
 */
describe('MariaDB binlog (real, private instance) read by @vlasky/zongji', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('binlog');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('runs with the binlog settings exactly-once needs', async () => {
    const c = await db.admin();
    try {
      const [rows] = await c.query(
        "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('log_bin','binlog_format','binlog_row_image','binlog_row_metadata')",
      );
      const vars = Object.fromEntries(
        (rows as Array<{ Variable_name: string; Value: string }>).map((r) => [r.Variable_name, r.Value]),
      );
      expect(vars).toEqual({ log_bin: 'ON', binlog_format: 'ROW', binlog_row_image: 'FULL', binlog_row_metadata: 'FULL' });
    } finally {
      await c.end();
    }
  });

  it('delivers a committed insert with the GTID the server gave its transaction', async () => {
    const c = await db.admin();
    await c.query('CREATE TABLE proof (id INT PRIMARY KEY, note VARCHAR(50))');

    const rows: Array<{ gtid: string | undefined; values: Record<string, unknown> }> = [];
    const zongji = new ZongJi({ ...db.options, dateStrings: true });
    const ready = new Promise<void>((resolve, reject) => {
      zongji.once('ready', () => resolve());
      zongji.once('error', reject);
    });
    zongji.on('binlog', (event) => {
      if (event.getEventName() === 'writerows') {
        const write = event as WriteRowsEvent;
        for (const row of write.rows) rows.push({ gtid: write.gtid, values: row });
      }
    });
    zongji.start({
      serverId: 4000 + Math.floor(Math.random() * 1000),
      startAtEnd: true,
      includeEvents: ['tablemap', 'writerows', 'xid', 'mariadbgtid'],
      includeSchema: { [db.name]: ['proof'] },
    });
    try {
      await ready;
      await c.beginTransaction();
      await c.query("INSERT INTO proof VALUES (1, 'héllo ✓')");
      await c.commit();
      const [[{ gtid }]] = (await c.query('SELECT @@last_gtid AS gtid')) as [[{ gtid: string }], unknown];

      const [row] = await waitFor('the insert in the binlog', () => (rows.length > 0 ? rows : undefined));
      expect(row.values).toEqual({ id: 1, note: 'héllo ✓' });
      expect(gtid).toMatch(/^\d+-\d+-\d+$/);
      expect(row.gtid).toBe(gtid);
    } finally {
      zongji.stop();
      await c.end();
    }
  });
});
