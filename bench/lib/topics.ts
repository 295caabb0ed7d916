import { Kafka, logLevel } from 'kafkajs';
import { kafkaBrokersFromEnv } from '@lockstep/core';
import { log } from './util.js';

/** Deletes every topic named `<prefix>.*` (benchmark topics are throw-away). */
export async function deleteTopicsWithPrefix(prefix: string): Promise<void> {
  const admin = new Kafka({
    clientId: 'bench-admin',
    brokers: kafkaBrokersFromEnv(process.env),
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`));
    if (topics.length) await admin.deleteTopics({ topics });
  } catch (error) {
    log(`could not delete topics ${prefix}.*: ${(error as Error).message}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
