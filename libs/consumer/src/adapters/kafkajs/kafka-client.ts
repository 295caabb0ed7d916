import { Kafka, logLevel } from 'kafkajs';
import { kafkajsConfig, type KafkaConnectionOptions } from '@lockstep/core';

/** A kafkajs client for the consumer (its own log level: warnings and errors only). */
export function createKafka(connection: KafkaConnectionOptions, clientId: string): Kafka {
  return new Kafka(kafkajsConfig(connection, clientId, { logLevel: logLevel.WARN }));
}
