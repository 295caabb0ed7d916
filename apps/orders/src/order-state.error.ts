import { ConflictException } from '@nestjs/common';

/** A state change the order's current status does not allow: the transaction rolls back. */
export class OrderStateError extends ConflictException {
  constructor(orderId: string, status: string, action: string) {
    super(`order ${orderId} is ${status}: cannot ${action} it`);
  }
}
