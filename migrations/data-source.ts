import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { mysqlUrlFromEnv, parseMysqlUrl } from '@lockstep/core';
import { lockstepMigrations } from './index.js';

/**
 * DataSource for the TypeORM CLI: `npm run migrate` (runs against LOCKSTEP_MYSQL_URL).
 */
const db = parseMysqlUrl(mysqlUrlFromEnv());
export default new DataSource({
  type: 'mysql',
  ...db,
  username: db.user,
  migrations: lockstepMigrations,
  migrationsTableName: 'lockstep_migrations',
});
