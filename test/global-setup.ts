import { execFileSync } from 'node:child_process';

/**
 * Integration tests run against real servers. `up` is idempotent: it starts the private
 * MariaDB and Kafka when they are not running, and starts nothing when LOCKSTEP_MYSQL_URL /
 * LOCKSTEP_KAFKA_BROKERS point at servers of your own.
 */
export default function setup(): void {
  execFileSync('bash', ['scripts/infra/lockstep-infra.sh', 'up'], { stdio: 'inherit' });
}
