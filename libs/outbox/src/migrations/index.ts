import type { MigrationInterface } from 'typeorm';
import { CreateOutbox1764000000000 } from './1764000000000-create-outbox.js';

/** The outbox table's TypeORM migrations: add them to your DataSource's `migrations`, or run `npx lockstep migrate`. */
export const outboxMigrations: Array<new () => MigrationInterface> = [CreateOutbox1764000000000];
