import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** Query side: what the read models say. */
@Controller()
export class OrderViewController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Get('customers/:id')
  async customer(@Param('id') id: string) {
    const [row] = await this.dataSource.query('SELECT * FROM demo_customer_totals WHERE customer_id = ?', [id]);
    if (!row) throw new NotFoundException(`no totals for customer ${id}`);
    return row;
  }

  @Get('orders/:id')
  async order(@Param('id') id: string) {
    const [row] = await this.dataSource.query('SELECT * FROM demo_order_status WHERE order_id = ?', [id]);
    if (!row) throw new NotFoundException(`order ${id} not in the view (yet)`);
    return row;
  }

  @Get('health')
  health() {
    return { status: 'ok' };
  }
}
