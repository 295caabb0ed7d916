import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** A row of demo_customer_totals (read-model-schema.ts); BIGINT columns come back as strings (bigNumberStrings). */
interface CustomerTotalsRow {
  customer_id: string;
  orders_placed: number;
  placed_cents: string;
  paid_cents: string;
  cancelled_cents: string;
  loyalty_points: string;
}

/** A row of demo_order_status (read-model-schema.ts). */
interface OrderStatusRow {
  order_id: string;
  customer_id: string;
  status: string;
  total_cents: number;
}

/** Query side: what the read models say. */
@Controller()
export class OrderViewController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Get('customers/:id')
  async customer(@Param('id') id: string): Promise<CustomerTotalsRow> {
    const [row] = await this.dataSource.query<CustomerTotalsRow[]>('SELECT * FROM demo_customer_totals WHERE customer_id = ?', [
      id,
    ]);
    if (!row) throw new NotFoundException(`no totals for customer ${id}`);
    return row;
  }

  @Get('orders/:id')
  async order(@Param('id') id: string): Promise<OrderStatusRow> {
    const [row] = await this.dataSource.query<OrderStatusRow[]>('SELECT * FROM demo_order_status WHERE order_id = ?', [id]);
    if (!row) throw new NotFoundException(`order ${id} not in the view (yet)`);
    return row;
  }

  @Get('health')
  health() {
    return { status: 'ok' };
  }
}
