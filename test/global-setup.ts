import { execFileSync } from 'node:child_process';
import { testCluster } from '../libs/testing/src/test-cluster.js';

/**
 * Integration tests run against real servers. `up` is idempotent: it starts the private
 * MariaDB and Kafka when they are not running, and starts nothing when LOCKSTEP_MYSQL_URL /
 * LOCKSTEP_KAFKA_BROKERS point at servers of your own. Cluster tests get a three-node Kafka of
 * their own (testCluster(): .lockstep/cluster, brokers 19092-19094), unless
 * LOCKSTEP_CLUSTER_KAFKA_BROKERS points at one.
 */
export default function setup(): void {
  execFileSync('bash', ['scripts/infra/lockstep-infra.sh', 'up'], { stdio: 'inherit' });
  const cluster = testCluster();
  if (cluster.isLocal) {
    execFileSync('bash', ['scripts/infra/lockstep-infra.sh', 'up', 'kafka'], { stdio: 'inherit', env: cluster.infraEnv() });
  }
}
