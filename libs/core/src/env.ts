import { readFileSync } from 'node:fs';

/**
 * Where the servers are. Every Lockstep process and test reads the same variables, so
 * pointing them at your own MySQL/Kafka is a matter of exporting two values.
 * Defaults match `scripts/infra/lockstep-infra.sh up` (private MariaDB on 3307, Kafka on 9092).
 */
export interface MysqlConnectionOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export const DEFAULT_MYSQL_URL = 'mysql://lockstep:lockstep@127.0.0.1:3307/lockstep';
export const DEFAULT_KAFKA_BROKERS = '127.0.0.1:9092';

export function mysqlUrlFromEnv(env: NodeJS.ProcessEnv): string {
  return env.LOCKSTEP_MYSQL_URL || DEFAULT_MYSQL_URL;
}

export function kafkaBrokersFromEnv(env: NodeJS.ProcessEnv): string[] {
  return (env.LOCKSTEP_KAFKA_BROKERS || DEFAULT_KAFKA_BROKERS)
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
}

export function parseMysqlUrl(url: string): MysqlConnectionOptions {
  const u = new URL(url);
  if (u.protocol !== 'mysql:' && u.protocol !== 'mariadb:') {
    throw new TypeError(`LOCKSTEP_MYSQL_URL must start with mysql://, got ${u.protocol}`);
  }
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: u.pathname.replace(/^\//, '') || 'lockstep',
  };
}

export function formatMysqlUrl(o: MysqlConnectionOptions): string {
  const auth = `${encodeURIComponent(o.user)}:${encodeURIComponent(o.password)}`;
  return `mysql://${auth}@${o.host}:${o.port}/${o.database}`;
}

/** Kafka connection security, from the environment (secrets never live in code or config files). */
export interface KafkaConnectionOptions {
  brokers: string[];
  ssl: boolean;
  sasl?: { mechanism: 'scram-sha-256' | 'scram-sha-512' | 'plain'; username: string; password: string };
}

/**
 * LOCKSTEP_KAFKA_SSL=true enables TLS; LOCKSTEP_KAFKA_SASL_MECHANISM (scram-sha-256,
 * scram-sha-512, plain) with LOCKSTEP_KAFKA_SASL_USERNAME / LOCKSTEP_KAFKA_SASL_PASSWORD enables SASL.
 */
export function kafkaConnectionFromEnv(env: NodeJS.ProcessEnv): KafkaConnectionOptions {
  const mechanism = env.LOCKSTEP_KAFKA_SASL_MECHANISM?.toLowerCase();
  const options: KafkaConnectionOptions = { brokers: kafkaBrokersFromEnv(env), ssl: env.LOCKSTEP_KAFKA_SSL === 'true' };
  if (mechanism) {
    if (mechanism !== 'scram-sha-256' && mechanism !== 'scram-sha-512' && mechanism !== 'plain') {
      throw new TypeError(`LOCKSTEP_KAFKA_SASL_MECHANISM must be scram-sha-256, scram-sha-512 or plain, got ${mechanism}`);
    }
    options.sasl = {
      mechanism,
      username: env.LOCKSTEP_KAFKA_SASL_USERNAME ?? '',
      password: env.LOCKSTEP_KAFKA_SASL_PASSWORD ?? '',
    };
  }
  return options;
}

/**
 * MySQL TLS from the environment: LOCKSTEP_MYSQL_SSL=true (verify the server certificate),
 * LOCKSTEP_MYSQL_SSL_CA=/path/ca.pem for a private CA. Returns mysql2's `ssl` option.
 */
export function mysqlSslFromEnv(env: NodeJS.ProcessEnv): { ca?: string; rejectUnauthorized: boolean } | undefined {
  if (env.LOCKSTEP_MYSQL_SSL !== 'true') return undefined;
  return {
    rejectUnauthorized: true,
    ...(env.LOCKSTEP_MYSQL_SSL_CA ? { ca: readFileSync(env.LOCKSTEP_MYSQL_SSL_CA, 'utf8') } : {}),
  };
}
