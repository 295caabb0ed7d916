import { consumerOffsetsTableDdl, inboxTableDdl, outboxTableDdl, relayCheckpointTableDdl } from '@lockstep/core';
import type { TestDatabase } from './test-database.js';

/** Creates Lockstep's tables (the same DDL as the migrations) in a test database. */
export async function applyLockstepSchema(db: TestDatabase): Promise<void> {
  const c = await db.admin();
  try {
    for (const ddl of [outboxTableDdl(), inboxTableDdl(), consumerOffsetsTableDdl(), relayCheckpointTableDdl()]) {
      await c.query(ddl);
    }
  } finally {
    await c.end();
  }
}
