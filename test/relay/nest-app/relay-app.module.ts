import { Module, type DynamicModule } from '@nestjs/common';
import type { RelayOptions } from '@lockstep/relay';
import { RelayModule } from '@lockstep/relay/nest';
import { RelayHttpController } from './relay-http.controller.js';

@Module({})
export class RelayAppModule {
  static register(options: RelayOptions): DynamicModule {
    return { module: RelayAppModule, imports: [RelayModule.forRoot(options)], controllers: [RelayHttpController] };
  }
}
