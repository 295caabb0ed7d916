import { Column, Entity, PrimaryColumn, VersionColumn } from 'typeorm';
import { randomUUID } from 'node:crypto';
import { RecordsEvents } from '@lockstep/outbox';
import { OrderCancelled, OrderPaid, OrderPlaced } from '@lockstep/order-contracts';
import { OrderStateError } from './order-state.error.js';

export type OrderStatus = 'placed' | 'paid' | 'cancelled';

/**
 * The write model. Every state change records its event; saving the entity in a transaction
 * writes the event to the outbox in that same transaction (the OutboxSubscriber does it).
 */
@Entity({ name: 'demo_orders' })
export class Order extends RecordsEvents {
  @PrimaryColumn({ type: 'char', length: 36 })
  id!: string;

  @Column({ name: 'customer_id', type: 'varchar', length: 64 })
  customerId!: string;

  @Column({ name: 'total_cents', type: 'int' })
  totalCents!: number;

  @Column({ name: 'item_count', type: 'int' })
  itemCount!: number;

  @Column({ type: 'varchar', length: 16 })
  status!: OrderStatus;

  @VersionColumn()
  version!: number;

  static place(customerId: string, totalCents: number, itemCount: number): Order {
    const order = new Order();
    order.id = randomUUID();
    order.customerId = customerId;
    order.totalCents = totalCents;
    order.itemCount = itemCount;
    order.status = 'placed';
    order.record(new OrderPlaced({ orderId: order.id, customerId, totalCents, itemCount }));
    return order;
  }

  pay(): void {
    if (this.status !== 'placed') throw new OrderStateError(this.id, this.status, 'pay');
    this.status = 'paid';
    this.record(new OrderPaid({ orderId: this.id, customerId: this.customerId, amountCents: this.totalCents }));
  }

  cancel(): void {
    if (this.status !== 'placed') throw new OrderStateError(this.id, this.status, 'cancel');
    this.status = 'cancelled';
    this.record(new OrderCancelled({ orderId: this.id, customerId: this.customerId, totalCents: this.totalCents }));
  }
}
