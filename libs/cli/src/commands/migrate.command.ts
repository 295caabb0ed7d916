import { DataSource, type MigrationInterface } from 'typeorm';
import { mysqlSslFromEnv, mysqlUrlFromEnv, parseMysqlUrl } from '@lockstep/core';
import { consumerMigrations } from '@lockstep/consumer';
import { outboxMigrations } from '@lockstep/outbox';
import { relayMigrations } from '@lockstep/relay';
import { UsageError, type CliCommand } from '../cli-command.js';

/** The tables each package owns; `lockstep migrate` runs them in timestamp order (TypeORM sorts them). */
export const lockstepMigrations: Readonly<Record<'outbox' | 'consumer' | 'relay', Array<new () => MigrationInterface>>> = {
  outbox: outboxMigrations,
  consumer: consumerMigrations,
  relay: relayMigrations,
};
type Part = keyof typeof lockstepMigrations;
const parts = Object.keys(lockstepMigrations) as Part[];

/** TypeORM's own bookkeeping table for these migrations (your app's migrations may use another). */
export const LOCKSTEP_MIGRATIONS_TABLE = 'lockstep_migrations';

export const migrateCommand: CliCommand = {
  name: 'migrate',
  usage: `usage: lockstep migrate [--only outbox|consumer|relay]... [--list]

Runs the TypeORM migrations that ship in @lockstep/outbox (the outbox table), @lockstep/consumer
(inbox, stored offsets, parked keys, dead letters) and @lockstep/relay (checkpoint mirror) against
the database of LOCKSTEP_MYSQL_URL, recording them in the table "${LOCKSTEP_MIGRATIONS_TABLE}".
Use a user allowed to CREATE tables (not the relay's replication user).
  --only <part>   only these parts (repeatable); default: all
  --list          print which migrations are applied or pending, change nothing`,
  options: { only: { type: 'string', multiple: true }, list: { type: 'boolean', default: false } },
  async run({ values, env }) {
    const only = (values.only as string[] | undefined) ?? parts;
    const unknown = only.filter((p) => !parts.includes(p as Part));
    if (unknown.length > 0) throw new UsageError(`--only takes ${parts.join(', ')}; got ${unknown.join(', ')}`);
    const db = parseMysqlUrl(mysqlUrlFromEnv(env));
    const dataSource = new DataSource({
      type: 'mysql',
      host: db.host,
      port: db.port,
      username: db.user,
      password: db.password,
      database: db.database,
      ssl: mysqlSslFromEnv(env),
      migrations: only.flatMap((p) => [...lockstepMigrations[p as Part]]),
      migrationsTableName: LOCKSTEP_MIGRATIONS_TABLE,
      logging: false,
    });
    await dataSource.initialize();
    try {
      if (values.list === true) {
        const pending = new Set(await pendingMigrationNames(dataSource));
        for (const m of dataSource.migrations) console.log(`${pending.has(m.name ?? '') ? 'pending' : 'applied'}  ${m.name}`);
        return 0;
      }
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      for (const m of applied) console.log(`applied ${m.name}`);
      console.log(
        applied.length === 0
          ? `${db.database}: Lockstep tables are up to date`
          : `${db.database}: ${applied.length} migration(s) applied`,
      );
      return 0;
    } finally {
      await dataSource.destroy();
    }
  },
};

/** Names of the migrations not yet recorded in the migrations table. */
async function pendingMigrationNames(dataSource: DataSource): Promise<string[]> {
  const hasPending = await dataSource.showMigrations();
  if (!hasPending) return [];
  const table = await dataSource
    .query<{ name: string }[]>(`SELECT name FROM \`${LOCKSTEP_MIGRATIONS_TABLE}\``)
    .catch(() => [] as { name: string }[]);
  const applied = new Set(table.map((r) => r.name));
  return dataSource.migrations.map((m) => m.name ?? '').filter((n) => !applied.has(n));
}
