import { Inject } from '@nestjs/common';
import { getRelayMetricsToken, getRelayToken } from './relay.tokens.js';

/** Injects the relay registered by `RelayModule.forRoot/forRootAsync` (with the same `alias`, if any). */
export const InjectRelay = (alias?: string): PropertyDecorator & ParameterDecorator => Inject(getRelayToken(alias));

/** Injects that relay's RelayMetrics (a prom-client registry of its own). */
export const InjectRelayMetrics = (alias?: string): PropertyDecorator & ParameterDecorator => Inject(getRelayMetricsToken(alias));
