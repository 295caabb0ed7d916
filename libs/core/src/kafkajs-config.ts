import type { KafkaConnectionOptions } from './env.js';

/**
 * The client config for a Kafka connection (brokers, TLS, SASL), shaped as kafkajs' `KafkaConfig`
 * without importing kafkajs: this package stays free of any client. The one place that maps our
 * options to the client's; callers add their own logging/retry settings in `extra`.
 */
type Sasl = NonNullable<KafkaConnectionOptions['sasl']>;
/** The SASL settings as a union per mechanism: the shape kafkajs' `SASLOptions` discriminates on. */
export type KafkaSaslConfig = { [M in Sasl['mechanism']]: Omit<Sasl, 'mechanism'> & { mechanism: M } }[Sasl['mechanism']];

export function kafkajsConfig<E extends object>(
  connection: KafkaConnectionOptions,
  clientId: string,
  extra: E = {} as E,
): E & { clientId: string; brokers: string[]; ssl: boolean; sasl?: KafkaSaslConfig } {
  return {
    ...extra,
    clientId,
    brokers: connection.brokers,
    ssl: connection.ssl,
    ...(connection.sasl ? { sasl: connection.sasl } : {}),
  };
}
