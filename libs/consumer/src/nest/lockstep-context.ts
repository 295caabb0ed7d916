import { BaseRpcContext } from '@nestjs/microservices';
import type { EntityManager } from 'typeorm';

/** What the transport knows about the record being handled. */
export interface LockstepRecordInfo {
  eventId: string;
  eventType: string;
  aggregateId: string;
  key: string | null;
  headers: Readonly<Record<string, string>>;
  topic: string;
  partition: number;
  offset: string;
  occurredAt: Date | undefined;
  attempt: number;
}

type LockstepContextArgs = [LockstepRecordInfo, EntityManager];

/**
 * Second argument of a `@LockstepHandler()` method (or `@Ctx()`). `manager` is the EntityManager of
 * the transaction that also holds the inbox row and the stored offset: write the read model
 * through it, and only through it, or the write is not part of "exactly once".
 */
export class LockstepContext extends BaseRpcContext<LockstepContextArgs> {
  constructor(info: LockstepRecordInfo, manager: EntityManager) {
    super([info, manager]);
  }

  /** Event id (`lockstep-id`), a UUIDv7 string. */
  get eventId(): string {
    return this.args[0].eventId;
  }
  /** Event type (`lockstep-type`), e.g. `order.placed`. */
  get eventType(): string {
    return this.args[0].eventType;
  }
  /** Aggregate id (`lockstep-aggregate-id`, else the record key). */
  get aggregateId(): string {
    return this.args[0].aggregateId;
  }
  /** All record headers as strings. */
  get headers(): Readonly<Record<string, string>> {
    return this.args[0].headers;
  }
  get topic(): string {
    return this.args[0].topic;
  }
  get partition(): number {
    return this.args[0].partition;
  }
  /** Kafka offset, as a string (offsets are 64-bit). */
  get offset(): string {
    return this.args[0].offset;
  }
  /** `lockstep-occurred-at`: when the producing transaction recorded the event. */
  get occurredAt(): Date | undefined {
    return this.args[0].occurredAt;
  }
  /** 1 on the first try, 2 on the first retry, ... */
  get attempt(): number {
    return this.args[0].attempt;
  }
  /** The EntityManager of the handling transaction. */
  get manager(): EntityManager {
    return this.args[1];
  }
}
