import { Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Order } from './order.entity.js';
import type { PlaceOrderDto } from './place-order.dto.js';

/** Credit limit per order: checked AFTER the order row is written, to show a rollback. */
export const CREDIT_LIMIT_CENTS = 500_000;

@Injectable()
export class OrdersService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Places an order. The order row and its `order.placed` event commit together or not at
   * all: an order over the credit limit is saved, then the check fails and the whole
   * transaction — order row and outbox row — rolls back.
   */
  async place(dto: PlaceOrderDto): Promise<Order> {
    return this.dataSource.transaction(async (manager) => {
      const order = await manager.save(Order.place(dto.customerId, dto.totalCents, dto.itemCount));
      if (order.totalCents > CREDIT_LIMIT_CENTS) {
        throw new UnprocessableEntityException(`order exceeds the credit limit of ${CREDIT_LIMIT_CENTS} cents`);
      }
      return order;
    });
  }

  async pay(orderId: string): Promise<Order> {
    return this.change(orderId, (order) => order.pay());
  }

  async cancel(orderId: string): Promise<Order> {
    return this.change(orderId, (order) => order.cancel());
  }

  async get(orderId: string): Promise<Order> {
    const order = await this.dataSource.getRepository(Order).findOneBy({ id: orderId });
    if (!order) throw new NotFoundException(`order ${orderId} not found`);
    return order;
  }

  private async change(orderId: string, action: (order: Order) => void): Promise<Order> {
    return this.dataSource.transaction(async (manager) => {
      // Lock the row: concurrent pay/cancel of one order serialise, so its events keep order.
      const order = await manager.getRepository(Order).findOne({ where: { id: orderId }, lock: { mode: 'pessimistic_write' } });
      if (!order) throw new NotFoundException(`order ${orderId} not found`);
      action(order);
      return manager.save(order);
    });
  }
}
