import 'reflect-metadata';
import { Logger, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { OrdersModule } from './orders.module.js';

/** The orders service: HTTP API on LOCKSTEP_ORDERS_PORT (default 3000). */
const app = await NestFactory.create(OrdersModule, { logger: ['error', 'warn', 'log'] });
app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
app.enableShutdownHooks();
const port = Number(process.env.LOCKSTEP_ORDERS_PORT ?? 3000);
await app.listen(port, '127.0.0.1');
new Logger('orders').log(`listening on http://127.0.0.1:${port}`);
