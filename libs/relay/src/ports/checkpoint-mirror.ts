import type { RelayCheckpoint } from '../core/relay-checkpoint.js';

/**
 * Port: a copy of each committed checkpoint where operators and outbox retention can read it
 * (MySQL `lockstep_relay_checkpoint`). Informational only: the checkpoint topic is the truth, so
 * the relay never waits for it and a failed write is reported and skipped.
 */
export interface CheckpointMirror {
  write(checkpoint: RelayCheckpoint): Promise<void>;
  close(): Promise<void>;
}
