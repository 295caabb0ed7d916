import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('./fixtures/consumer.main.ts', import.meta.url));

export interface ConsumerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  /** Last lines the process wrote (for failure messages). */
  output(): string;
  /** Every line the process wrote, with the time it arrived here (for evidence in fault tests). */
  lines(): ReadonlyArray<{ at: number; text: string }>;
  kill9(): Promise<void>;
  /** SIGTERM: graceful close (finish in-flight, commit, leave the group). */
  stop(): Promise<number | null>;
}

/** The fixture consumer (`fixtures/consumer.main.ts`) as a real child process. */
export function spawnConsumer(env: {
  dbUrl: string;
  topic: string;
  consumer: string;
  mode: 'event' | 'batch';
  instance?: string;
  /** Brokers to read from (default: LOCKSTEP_KAFKA_BROKERS, the test broker). */
  kafkaBrokers?: string[];
  /** Also write Nest's 'log' level (partition assignments): what a test may search `output()` for. */
  verbose?: boolean;
  /** The handler takes this long per event (a slower read model keeps a backlog longer). */
  handlerDelayMs?: number;
}): ConsumerProcess {
  const child = spawn(process.execPath, ['--conditions=lockstep-source', '--import', '@swc-node/register/esm-register', MAIN], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    env: {
      ...process.env,
      LS_DB_URL: env.dbUrl,
      LS_TOPIC: env.topic,
      LS_CONSUMER: env.consumer,
      LS_MODE: env.mode,
      LS_INSTANCE: env.instance ?? 'child',
      ...(env.kafkaBrokers ? { LOCKSTEP_KAFKA_BROKERS: env.kafkaBrokers.join(',') } : {}),
      ...(env.verbose ? { LS_VERBOSE: '1' } : {}),
      ...(env.handlerDelayMs ? { LS_HANDLER_DELAY_MS: String(env.handlerDelayMs) } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const all: Array<{ at: number; text: string }> = [];
  const partial = { stdout: '', stderr: '' };
  const keep = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    out = (out + text).slice(-8000);
    const parts = (partial[stream] + text).split('\n');
    partial[stream] = parts.pop()!;
    const at = Date.now();
    for (const line of parts) all.push({ at, text: line });
  };
  child.stdout.on('data', keep('stdout'));
  child.stderr.on('data', keep('stderr'));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    output: () => out,
    lines: () => all,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
