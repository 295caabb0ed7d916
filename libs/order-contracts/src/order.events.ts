import { IsInt, IsString, IsUUID, Length, Max, Min } from 'class-validator';
import { OutboxEvent } from '@lockstep/core';

/**
 * The demo's event contracts, shared by the producer (apps/orders) and the consumer
 * (apps/order-view). In your own system this is the package both teams depend on.
 */

@OutboxEvent({ type: 'order.placed', aggregate: 'order', aggregateId: 'orderId' })
export class OrderPlaced {
  @IsUUID() orderId!: string;
  @IsString() @Length(1, 64) customerId!: string;
  @IsInt() @Min(1) @Max(100_000_000) totalCents!: number;
  @IsInt() @Min(1) itemCount!: number;

  constructor(init?: OrderPlaced) {
    if (init) Object.assign(this, init);
  }
}

@OutboxEvent({ type: 'order.paid', aggregate: 'order', aggregateId: 'orderId' })
export class OrderPaid {
  @IsUUID() orderId!: string;
  @IsString() @Length(1, 64) customerId!: string;
  @IsInt() @Min(1) amountCents!: number;

  constructor(init?: OrderPaid) {
    if (init) Object.assign(this, init);
  }
}

@OutboxEvent({ type: 'order.cancelled', aggregate: 'order', aggregateId: 'orderId' })
export class OrderCancelled {
  @IsUUID() orderId!: string;
  @IsString() @Length(1, 64) customerId!: string;
  @IsInt() @Min(1) totalCents!: number;

  constructor(init?: OrderCancelled) {
    if (init) Object.assign(this, init);
  }
}

/** Recorded by the order-view consumer when it applies a payment: a chained step. */
@OutboxEvent({ type: 'customer.loyalty-points-earned', aggregate: 'customer', aggregateId: 'customerId' })
export class LoyaltyPointsEarned {
  @IsString() @Length(1, 64) customerId!: string;
  @IsUUID() orderId!: string;
  @IsInt() @Min(1) points!: number;

  constructor(init?: LoyaltyPointsEarned) {
    if (init) Object.assign(this, init);
  }
}

/** One loyalty point per started 10 currency units paid. */
export function loyaltyPointsFor(amountCents: number): number {
  return Math.max(1, Math.ceil(amountCents / 1000));
}
