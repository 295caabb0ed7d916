import { Controller, Get, Inject, Res, type Type } from '@nestjs/common';
import { LockstepServer } from './lockstep-server.js';

/** Express' `setHeader` or Fastify's `header`: the controller works on either platform. */
type HeaderTarget = { header?: (name: string, value: string) => unknown; setHeader?: (name: string, value: string) => unknown };

function setHeader(res: HeaderTarget, name: string, value: string): void {
  if (typeof res.header === 'function') res.header(name, value);
  else res.setHeader?.(name, value);
}

/**
 * A controller serving the consumer's prom-client registry (Prometheus text format) at GET
 * `path`. Made per module import because the path is an option.
 */
export function createMetricsController(path: string): Type<unknown> {
  @Controller()
  class LockstepMetricsController {
    constructor(@Inject(LockstepServer) private readonly server: LockstepServer) {}

    @Get(path)
    async metrics(@Res({ passthrough: true }) res: HeaderTarget): Promise<string> {
      setHeader(res, 'Content-Type', this.server.registry.contentType);
      return this.server.registry.metrics();
    }
  }
  return LockstepMetricsController;
}
