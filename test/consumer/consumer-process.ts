import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('./fixtures/consumer.main.ts', import.meta.url));

export interface ConsumerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  /** Last lines the process wrote (for failure messages). */
  output(): string;
  kill9(): Promise<void>;
  /** SIGTERM: graceful close (finish in-flight, commit, leave the group). */
  stop(): Promise<number | null>;
}

/** The fixture consumer (`fixtures/consumer.main.ts`) as a real child process. */
export function spawnConsumer(env: { dbUrl: string; topic: string; consumer: string; mode: 'event' | 'batch'; instance?: string }): ConsumerProcess {
  const child = spawn(process.execPath, ['--import', '@swc-node/register/esm-register', MAIN], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    env: { ...process.env, LS_DB_URL: env.dbUrl, LS_TOPIC: env.topic, LS_CONSUMER: env.consumer, LS_MODE: env.mode, LS_INSTANCE: env.instance ?? 'child' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (chunk: Buffer) => {
    out = (out + chunk.toString('utf8')).slice(-8000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    output: () => out,
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
