import type { MigrationInterface } from 'typeorm';
import { CreateInbox1764000000001 } from './1764000000001-create-inbox.js';
import { CreateConsumerParking1764000000003 } from './1764000000003-create-consumer-parking.js';

/**
 * The consumer's tables (inbox, stored offsets, parked keys, dead letters) as TypeORM migrations:
 * add them to the read-model DataSource's `migrations`, or run `npx lockstep migrate`.
 */
export const consumerMigrations: Array<new () => MigrationInterface> = [
  CreateInbox1764000000001,
  CreateConsumerParking1764000000003,
];
