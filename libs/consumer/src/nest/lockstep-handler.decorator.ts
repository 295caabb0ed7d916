import { applyDecorators, UseFilters, type Type } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { getOutboxEventMetadata } from '@lockstep/core';
import { NotAnEventClassError } from '../core/consumer.errors.js';
import { HandlerFailureFilter } from './handler-failure.filter.js';
import type { LockstepContext } from './lockstep-context.js';
import { LOCKSTEP_HANDLER_EXTRAS, LOCKSTEP_TRANSPORT } from './lockstep.constants.js';

/** What `@LockstepHandler()` tells the transport about one handler method. */
export interface LockstepHandlerBinding {
  eventClass: Type<object>;
  eventType: string;
  className: string;
  methodName: string;
}

const failureFilter = new HandlerFailureFilter();

/**
 * Handles events of `eventClass` (an `@OutboxEvent()` class) in a `@Controller()`:
 *
 * ```ts
 * @LockstepHandler(OrderPlaced)
 * async onPlaced(event: OrderPlaced, ctx: LockstepContext) {
 *   await ctx.manager.query('UPDATE totals SET n = n + 1 WHERE id = 1');
 * }
 * ```
 *
 * The handler gets a validated instance of the class and runs inside the transaction that
 * records the event as processed. Built on `EventPattern` (not on a DiscoveryService explorer)
 * because `connectMicroservice({ strategy })` then wires handlers through Nest's own RPC
 * pipeline: guards, interceptors, pipes and `@Payload()/@Ctx()` work as on any transport, and
 * request-scoped controllers are handled by Nest. The binding is limited to Lockstep's
 * transport id, so other transports in the same app do not pick these methods up.
 * (Named apart from `@nestjs/event-emitter`'s `@OnEvent`, which many apps also import.)
 */
export function LockstepHandler<T extends object>(eventClass: Type<T>) {
  const metadata = getOutboxEventMetadata(eventClass);
  if (!metadata) throw new NotAnEventClassError(eventClass?.name ?? String(eventClass));
  return <M extends (event: T, ctx: LockstepContext) => unknown>(
    target: object,
    methodName: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): void => {
    const binding: LockstepHandlerBinding = {
      eventClass,
      eventType: metadata.type,
      className: target.constructor.name,
      methodName: String(methodName),
    };
    // Nest 12 passes an RPC handler only its payload unless parameters are decorated: with no
    // @Payload()/@Ctx() of the author's own, give the documented (event, ctx) signature.
    // Parameter decorators run before method decorators, so an explicit choice is visible here.
    if (!Reflect.getMetadata(ROUTE_ARGS_METADATA, target.constructor, methodName)) {
      Payload()(target, methodName, 0);
      Ctx()(target, methodName, 1);
    }
    const pattern = EventPattern<string>(metadata.type, LOCKSTEP_TRANSPORT, { [LOCKSTEP_HANDLER_EXTRAS]: binding });
    applyDecorators(pattern, UseFilters(failureFilter))(target, methodName, descriptor);
  };
}
