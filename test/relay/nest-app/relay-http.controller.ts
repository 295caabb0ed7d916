import { Controller, Get, Header, HttpStatus, Inject, Res } from '@nestjs/common';
import { Relay, RelayMetrics, relayHealth } from '@lockstep/relay';

interface HttpResponse {
  status(code: number): HttpResponse;
  json(body: unknown): void;
}

@Controller()
export class RelayHttpController {
  constructor(
    @Inject(Relay) private readonly relay: Relay,
    @Inject(RelayMetrics) private readonly relayMetrics: RelayMetrics,
  ) {}

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.relayMetrics.metrics();
  }

  /** 200 when leader and publishing, or a healthy standby; 503 otherwise. */
  @Get('health')
  health(@Res() res: HttpResponse): void {
    const h = relayHealth(this.relay);
    res.status(h.healthy ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json(h);
  }
}
