import { execFileSync } from 'node:child_process';
import { testCluster } from '../libs/testing/src/test-cluster.js';

/**
 * Integration tests run against real servers and the built packages. `up` is idempotent: it starts the private
 * MariaDB and Kafka when they are not running, and starts nothing when LOCKSTEP_MYSQL_URL /
 * LOCKSTEP_KAFKA_BROKERS point at servers of your own. Cluster tests get a three-node Kafka of
 * their own (testCluster(): .lockstep/cluster, brokers 19092-19094), unless
 * LOCKSTEP_CLUSTER_KAFKA_BROKERS points at one.
 */
export default function setup(): void {
  // Relay processes, the CLI and the demo run as built JavaScript, as users run them. tsc -b is
  // incremental (a few seconds when nothing changed), so a test never runs a stale build.
  // LOCKSTEP_TEST_BUILD=skip is for a checkout whose other packages do not build mid-change.
  if (process.env.LOCKSTEP_TEST_BUILD !== 'skip') execFileSync('npx', ['tsc', '-b', 'tsconfig.build.json'], { stdio: 'inherit' });
  execFileSync('bash', ['scripts/infra/lockstep-infra.sh', 'up'], { stdio: 'inherit' });
  const cluster = testCluster();
  if (cluster.isLocal) {
    execFileSync('bash', ['scripts/infra/lockstep-infra.sh', 'up', 'kafka'], { stdio: 'inherit', env: cluster.infraEnv() });
  }
}
