import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { KafkaConnectionOptions } from './env.js';

/**
 * The kafkajs client config for a connection from the environment (brokers, TLS, SASL). The one
 * place that maps our options to kafkajs' types; callers add their own logging/retry settings.
 */
export function kafkajsConfig(connection: KafkaConnectionOptions, clientId: string, extra: Omit<KafkaConfig, 'brokers' | 'clientId'> = {}): KafkaConfig {
  const config: KafkaConfig = { ...extra, clientId, brokers: connection.brokers, ssl: connection.ssl };
  if (connection.sasl) config.sasl = connection.sasl as SASLOptions;
  return config;
}
