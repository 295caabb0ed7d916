import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { OrdersService } from './orders.service.js';
import { PlaceOrderDto } from './place-order.dto.js';

@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  @HttpCode(201)
  async place(@Body() dto: PlaceOrderDto) {
    const order = await this.orders.place(dto);
    return { id: order.id, status: order.status };
  }

  @Post(':id/pay')
  @HttpCode(200)
  async pay(@Param('id', ParseUUIDPipe) id: string) {
    const order = await this.orders.pay(id);
    return { id: order.id, status: order.status };
  }

  @Post(':id/cancel')
  @HttpCode(200)
  async cancel(@Param('id', ParseUUIDPipe) id: string) {
    const order = await this.orders.cancel(id);
    return { id: order.id, status: order.status };
  }

  @Get(':id')
  async get(@Param('id', ParseUUIDPipe) id: string) {
    const o = await this.orders.get(id);
    return { id: o.id, customerId: o.customerId, totalCents: o.totalCents, status: o.status };
  }
}
