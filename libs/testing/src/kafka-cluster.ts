import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { transactionStatePartitionFor } from './transaction-state-partition.js';
import { waitFor } from './wait-for.js';

const execFileAsync = promisify(execFile);
const infraScript = fileURLToPath(new URL('../../../scripts/infra/lockstep-infra.sh', import.meta.url));

/** A Kafka cluster started by `scripts/infra/lockstep-infra.sh` (LOCKSTEP_LOCAL_KAFKA_NODES). */
export interface LocalKafkaClusterOptions {
  /** The LOCKSTEP_HOME the script runs with (absolute path). */
  home: string;
  nodes: number;
  /** Broker port of node 1 (LOCKSTEP_LOCAL_KAFKA_PORT); node i listens on basePort + i - 1. */
  basePort: number;
  /** Controller port of node 1 (LOCKSTEP_LOCAL_KAFKA_CONTROLLER_PORT); the script's default is basePort + nodes. */
  controllerBasePort?: number;
}

export type KafkaNodeSignal = 'SIGKILL' | 'SIGSTOP' | 'SIGCONT';

/**
 * Drives a Kafka cluster for fault tests: its brokers, and for a local cluster its node
 * processes (kill/stop/continue one, bring the dead ones back with the infra script). Node i
 * is broker id i. An external cluster (brokers only) supports the Kafka-side calls; the
 * process calls throw, since there is no process of ours to signal.
 */
export class KafkaCluster {
  private constructor(
    private readonly brokerList: readonly string[],
    private readonly options: Required<LocalKafkaClusterOptions> | null,
  ) {}

  static local(options: LocalKafkaClusterOptions): KafkaCluster {
    const { home, nodes, basePort } = options;
    if (!Number.isInteger(nodes) || nodes < 1) throw new Error(`nodes must be a positive integer, got ${nodes}`);
    const full = { home, nodes, basePort, controllerBasePort: options.controllerBasePort ?? basePort + nodes };
    return new KafkaCluster(
      Array.from({ length: nodes }, (_, i) => `127.0.0.1:${basePort + i}`),
      full,
    );
  }

  static external(brokers: readonly string[]): KafkaCluster {
    if (brokers.length === 0) throw new Error('an external Kafka cluster needs at least one broker');
    return new KafkaCluster([...brokers], null);
  }

  get isLocal(): boolean {
    return this.options !== null;
  }

  brokers(): string[] {
    return [...this.brokerList];
  }

  /**
   * A kafkajs client for this cluster (quiet: fault tests make kafkajs log a lot of expected
   * errors). `config` overrides, e.g. a `retry` that outlasts a node's failover: kafkajs'
   * default gives up after ~10 s, about when the controller fences a killed node.
   */
  kafka(clientId = 'lockstep-test-cluster', config: Partial<KafkaConfig> = {}): Kafka {
    return new Kafka({ clientId, brokers: this.brokers(), logLevel: logLevel.NOTHING, ...config });
  }

  /** The environment that makes the infra script act on this cluster (and on nothing else). */
  infraEnv(): NodeJS.ProcessEnv {
    const o = this.localOnly('infraEnv');
    return {
      ...process.env,
      LOCKSTEP_HOME: o.home,
      LOCKSTEP_LOCAL_KAFKA_NODES: String(o.nodes),
      LOCKSTEP_LOCAL_KAFKA_PORT: String(o.basePort),
      LOCKSTEP_LOCAL_KAFKA_CONTROLLER_PORT: String(o.controllerBasePort),
      // An external single broker or a SASL listener set for the shared broker must not
      // apply here: the first would make the script start nothing, the second is refused.
      LOCKSTEP_KAFKA_BROKERS: '',
      LOCKSTEP_LOCAL_KAFKA_SASL_PORT: '',
    };
  }

  /** Runs the infra script on this cluster, e.g. infra('status', 'kafka'). */
  async infra(args: string[], timeoutMs = 180_000): Promise<{ stdout: string; stderr: string }> {
    try {
      return await execFileAsync('bash', [infraScript, ...args], {
        env: this.infraEnv(),
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
      });
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new Error(`lockstep-infra.sh ${args.join(' ')} failed: ${e.message}\n${(e.stderr ?? '').slice(-4000)}`, {
        cause: error,
      });
    }
  }

  /** `lockstep-infra.sh up kafka`: starts every node that is down, leaves running ones alone. */
  async start(timeoutMs = 180_000): Promise<void> {
    await this.infra(['up', 'kafka'], timeoutMs);
  }

  /** The pid of node `node` if the script's pid file points at our live node process, else undefined. */
  pidOf(node: number): number | undefined {
    const o = this.localOnly('pidOf');
    this.checkNode(node);
    const name = o.nodes === 1 ? 'kafka' : `kafka-${node}`;
    let pid: number;
    try {
      pid = Number(readFileSync(join(o.home, 'run', `${name}.pid`), 'utf8').trim());
    } catch {
      return undefined;
    }
    return Number.isInteger(pid) && pid > 0 && this.isOurs(pid, node) ? pid : undefined;
  }

  /**
   * Signals node `node`'s process and resolves once the signal took effect: after SIGKILL the
   * process is gone (so an `up` right after does not find it still running), after SIGSTOP it
   * is stopped. Returns the pid that was signalled.
   */
  async kill(node: number, signal: KafkaNodeSignal = 'SIGKILL'): Promise<number> {
    const pid = this.pidOf(node);
    if (pid === undefined) throw new Error(`Kafka node ${node} has no running process of ours (home ${this.options?.home})`);
    process.kill(pid, signal);
    if (signal === 'SIGKILL')
      await waitFor(`Kafka node ${node} (pid ${pid}) to exit`, () => !this.isOurs(pid, node), { timeoutMs: 10_000 });
    if (signal === 'SIGSTOP')
      await waitFor(`Kafka node ${node} (pid ${pid}) to stop`, () => processState(pid) === 'T', { timeoutMs: 10_000 });
    return pid;
  }

  /**
   * Node `node` runs and serves: its process is ours and not stopped, and it answers a metadata
   * request listing itself (registered and unfenced). kcat, like the script's health check.
   */
  async isUp(node: number): Promise<boolean> {
    const pid = this.pidOf(node);
    if (pid === undefined || processState(pid) === 'T') return false;
    const o = this.localOnly('isUp');
    try {
      const { stdout } = await execFileAsync('kcat', ['-b', `127.0.0.1:${o.basePort + node - 1}`, '-L', '-m', '3'], {
        timeout: 10_000,
        killSignal: 'SIGKILL',
      });
      return new RegExp(`broker ${node} at `).test(stdout);
    } catch {
      return false;
    }
  }

  /** Broker id leading `topic`/`partition` right now (-1 while it has none, e.g. during an election). */
  async leaderOf(topic: string, partition: number): Promise<number> {
    const partitions = await this.partitionsOf(topic);
    const found = partitions.find((p) => p.partitionId === partition);
    if (!found) throw new Error(`${topic} has no partition ${partition} (it has ${partitions.length})`);
    return found.leader;
  }

  /**
   * Broker id of the transaction coordinator of `transactionalId`: the leader of its
   * `__transaction_state` partition (see transactionStatePartitionFor). The topic exists once
   * any transactional producer has initialised against the cluster.
   */
  async transactionCoordinatorOf(transactionalId: string): Promise<number> {
    const partitions = await this.partitionsOf('__transaction_state');
    return this.leaderOf('__transaction_state', transactionStatePartitionFor(transactionalId, partitions.length));
  }

  private async partitionsOf(topic: string): Promise<Array<{ partitionId: number; leader: number }>> {
    const admin = this.kafka('lockstep-test-cluster-admin').admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const found = topics.find((t) => t.name === topic);
      if (!found || found.partitions.length === 0) throw new Error(`topic ${topic} not found in the cluster's metadata`);
      return found.partitions;
    } finally {
      await admin.disconnect();
    }
  }

  /** The pid's command line names node `node`'s server.properties: the check the script makes, so a recycled pid is never signalled. */
  private isOurs(pid: number, node: number): boolean {
    const o = this.localOnly('isOurs');
    const props =
      o.nodes === 1 ? join(o.home, 'kafka', 'server.properties') : join(o.home, 'kafka', `node-${node}`, 'server.properties');
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(props);
    } catch {
      return false;
    }
  }

  private checkNode(node: number): void {
    const nodes = this.options?.nodes ?? 0;
    if (!Number.isInteger(node) || node < 1 || node > nodes) throw new Error(`no Kafka node ${node} (1..${nodes})`);
  }

  private localOnly(what: string): Required<LocalKafkaClusterOptions> {
    if (!this.options) {
      throw new Error(
        `KafkaCluster.${what}: the cluster is external (${this.brokerList.join(',')}), so there is no local node process to drive`,
      );
    }
    return this.options;
  }
}

/** The process state letter from /proc/<pid>/stat (R, S, T = stopped, Z = zombie), or undefined when gone. */
function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in parentheses may contain spaces; the state follows the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}
