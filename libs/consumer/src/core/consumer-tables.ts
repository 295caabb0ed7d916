import { DEFAULT_CONSUMER_OFFSETS_TABLE, DEFAULT_INBOX_TABLE } from '@lockstep/core';

/** Names of the consumer's own tables (in the read model's database). */
export interface ConsumerTables {
  /** Processed event ids per consumer. Default `lockstep_inbox`. */
  inbox: string;
  /** Next offset per group, topic and partition, committed with the read model. Default `lockstep_consumer_offsets`. */
  offsets: string;
  /** Keys held back behind a dead-lettered event. Default `lockstep_consumer_parked`. */
  parkedKeys: string;
  /** Dead-lettered event ids per consumer. Default `lockstep_consumer_dead_letters`. */
  deadLetters: string;
}

export const DEFAULT_PARKED_KEYS_TABLE = 'lockstep_consumer_parked';
export const DEFAULT_DEAD_LETTERS_TABLE = 'lockstep_consumer_dead_letters';

/** The table names with their defaults filled in. */
export function consumerTables(overrides: Partial<ConsumerTables> = {}): ConsumerTables {
  return {
    inbox: overrides.inbox ?? DEFAULT_INBOX_TABLE,
    offsets: overrides.offsets ?? DEFAULT_CONSUMER_OFFSETS_TABLE,
    parkedKeys: overrides.parkedKeys ?? DEFAULT_PARKED_KEYS_TABLE,
    deadLetters: overrides.deadLetters ?? DEFAULT_DEAD_LETTERS_TABLE,
  };
}
