import { fileURLToPath } from 'node:url';
import { KafkaCluster, type LocalKafkaClusterOptions } from './kafka-cluster.js';

/**
 * The three-node Kafka cluster of the test suite, which test/global-setup.ts starts next to
 * the shared single broker: its own home and ports (brokers 19092-19094, controllers
 * 19095-19097), so the two never collide and a test may kill its nodes.
 */
export const TEST_CLUSTER: Readonly<Required<LocalKafkaClusterOptions>> = Object.freeze({
  home: fileURLToPath(new URL('../../../.lockstep/cluster', import.meta.url)),
  nodes: 3,
  basePort: 19092,
  controllerBasePort: 19095,
});

/**
 * The cluster for cluster tests: TEST_CLUSTER, or the brokers in LOCKSTEP_CLUSTER_KAFKA_BROKERS
 * (comma-separated) for a cluster of your own, whose nodes the tests then cannot kill.
 */
export function testCluster(env: NodeJS.ProcessEnv = process.env): KafkaCluster {
  const external = (env.LOCKSTEP_CLUSTER_KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  return external.length > 0 ? KafkaCluster.external(external) : KafkaCluster.local(TEST_CLUSTER);
}
