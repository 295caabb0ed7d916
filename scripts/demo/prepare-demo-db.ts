import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { mysqlUrlFromEnv, parseMysqlUrl } from '@lockstep/core';
import { demoMigrations } from '../../migrations/index.js';
import { ORDERS_TABLE_DDL } from '../../apps/orders/src/orders-schema.js';
import { READ_MODEL_DDL } from '../../apps/order-view/src/read-model-schema.js';

/**
 * Creates the demo's tables in the database of LOCKSTEP_MYSQL_URL: Lockstep's migrations
 * (outbox, inbox, offsets, relay checkpoint, consumer parking) and the demo's own tables.
 * Idempotent. Used by docker-compose; `npm run demo` does the same on a fresh database.
 */
export async function prepareDemoDatabase(url = mysqlUrlFromEnv(process.env)): Promise<void> {
  const db = parseMysqlUrl(url);
  const dataSource = new DataSource({
    type: 'mysql',
    ...db,
    username: db.user,
    migrations: demoMigrations,
    migrationsTableName: 'lockstep_migrations',
  });
  await dataSource.initialize();
  try {
    await dataSource.runMigrations();
    for (const ddl of [ORDERS_TABLE_DDL, ...READ_MODEL_DDL]) await dataSource.query(ddl);
  } finally {
    await dataSource.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await prepareDemoDatabase();
  console.log('demo database ready');
}
