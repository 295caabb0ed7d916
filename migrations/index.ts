import type { MigrationInterface } from 'typeorm';
import { consumerMigrations } from '@lockstep/consumer';
import { outboxMigrations } from '@lockstep/outbox';
import { relayMigrations } from '@lockstep/relay';

/**
 * The demo database's migrations: every Lockstep table (they ship inside the packages that own
 * them). TypeORM orders migrations by their timestamp, so the order here does not matter.
 */
export const demoMigrations: Array<new () => MigrationInterface> = [
  ...outboxMigrations,
  ...consumerMigrations,
  ...relayMigrations,
];
