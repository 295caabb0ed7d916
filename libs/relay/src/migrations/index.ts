import type { MigrationInterface } from 'typeorm';
import { CreateRelayCheckpoint1764000000002 } from './1764000000002-create-relay-checkpoint.js';

/** The relay's checkpoint-mirror table as a TypeORM migration (or run `npx lockstep migrate`). */
export const relayMigrations: Array<new () => MigrationInterface> = [CreateRelayCheckpoint1764000000002];
