import { uuidToString } from '@lockstep/core';
import type { RelayCheckpoint, GtidPosition } from './relay-checkpoint.js';
import type { CommitPosition } from './transaction-assembler.js';
import type { TakenBatch } from './transaction-queue.js';

/**
 * How the relay's checkpoint moves. Pure: each function returns the checkpoint to commit *with*
 * the Kafka transaction; the relay adopts it only after that transaction committed (I3: the
 * checkpoint is never saved apart from the publish).
 */

/** The checkpoint of a relay that has none yet, at `from`. */
export function initialCheckpoint(from: GtidPosition, now = new Date()): RelayCheckpoint {
  return {
    gtidSet: from,
    binlogFile: null,
    binlogPosition: null,
    lastEventId: null,
    lastEventCreatedAt: null,
    eventsPublished: 0,
    at: now.toISOString(),
  };
}

/** The checkpoint after publishing `batch` on top of `committed`: its position, its last event. */
export function checkpointAfterBatch(committed: RelayCheckpoint, batch: TakenBatch, now = new Date()): RelayCheckpoint {
  const lastTx = batch.transactions[batch.transactions.length - 1];
  const lastRow = lastTx.rows[lastTx.rows.length - 1];
  return {
    gtidSet: batch.position.gtidSet,
    binlogFile: batch.position.binlogFile,
    binlogPosition: batch.position.binlogPosition,
    lastEventId: uuidToString(lastRow.id),
    lastEventCreatedAt: lastRow.createdAt,
    eventsPublished: committed.eventsPublished + batch.events,
    at: now.toISOString(),
  };
}

/** Only row-less transactions went by: the same events, a later position (so a restart need not re-read them). */
export function checkpointAtPosition(committed: RelayCheckpoint, position: CommitPosition, now = new Date()): RelayCheckpoint {
  return {
    ...committed,
    gtidSet: position.gtidSet,
    binlogFile: position.binlogFile,
    binlogPosition: position.binlogPosition,
    at: now.toISOString(),
  };
}

/** An idle checkpoint is due when the source moved past the checkpoint and nothing was committed for `idleCheckpointMs`. */
export function idleCheckpointDue(
  committed: RelayCheckpoint,
  latest: CommitPosition | null,
  msSinceLastCommit: number,
  idleCheckpointMs: number,
): latest is CommitPosition {
  return latest !== null && latest.gtidSet !== committed.gtidSet && msSinceLastCommit >= idleCheckpointMs;
}
