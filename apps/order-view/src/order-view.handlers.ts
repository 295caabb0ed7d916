import { Controller } from '@nestjs/common';
import { LockstepHandler, type LockstepContext } from '@lockstep/consumer';
import { OutboxService } from '@lockstep/outbox';
import { LoyaltyPointsEarned, loyaltyPointsFor, OrderCancelled, OrderPaid, OrderPlaced } from '@lockstep/order-contracts';

/**
 * Event handlers of the order view. Each runs inside the consumer's MySQL transaction
 * (`ctx.manager`), together with the inbox row and the stored Kafka offset: the increments
 * below take effect exactly once even across crashes and rebalances.
 */
@Controller()
export class OrderViewHandlers {
  constructor(private readonly outbox: OutboxService) {}

  @LockstepHandler(OrderPlaced)
  async onPlaced(event: OrderPlaced, ctx: LockstepContext): Promise<void> {
    await ctx.manager.query('INSERT INTO demo_order_status (order_id, customer_id, status, total_cents) VALUES (?, ?, ?, ?)', [
      event.orderId,
      event.customerId,
      'placed',
      event.totalCents,
    ]);
    await ctx.manager.query(
      `INSERT INTO demo_customer_totals (customer_id, orders_placed, placed_cents) VALUES (?, 1, ?)
       ON DUPLICATE KEY UPDATE orders_placed = orders_placed + 1, placed_cents = placed_cents + VALUES(placed_cents)`,
      [event.customerId, event.totalCents],
    );
  }

  /** Applies the payment and records a follow-up event in the same transaction (a chained step). */
  @LockstepHandler(OrderPaid)
  async onPaid(event: OrderPaid, ctx: LockstepContext): Promise<void> {
    await ctx.manager.query("UPDATE demo_order_status SET status = 'paid' WHERE order_id = ?", [event.orderId]);
    await ctx.manager.query('UPDATE demo_customer_totals SET paid_cents = paid_cents + ? WHERE customer_id = ?', [
      event.amountCents,
      event.customerId,
    ]);
    await this.outbox.publish(
      ctx.manager,
      new LoyaltyPointsEarned({
        customerId: event.customerId,
        orderId: event.orderId,
        points: loyaltyPointsFor(event.amountCents),
      }),
    );
  }

  @LockstepHandler(OrderCancelled)
  async onCancelled(event: OrderCancelled, ctx: LockstepContext): Promise<void> {
    await ctx.manager.query("UPDATE demo_order_status SET status = 'cancelled' WHERE order_id = ?", [event.orderId]);
    await ctx.manager.query('UPDATE demo_customer_totals SET cancelled_cents = cancelled_cents + ? WHERE customer_id = ?', [
      event.totalCents,
      event.customerId,
    ]);
  }

  @LockstepHandler(LoyaltyPointsEarned)
  async onLoyaltyPoints(event: LoyaltyPointsEarned, ctx: LockstepContext): Promise<void> {
    await ctx.manager.query(
      `INSERT INTO demo_customer_totals (customer_id, loyalty_points) VALUES (?, ?)
       ON DUPLICATE KEY UPDATE loyalty_points = loyalty_points + VALUES(loyalty_points)`,
      [event.customerId, event.points],
    );
  }
}
