import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** A relay child process (`lockstep relay`, built) that a fault test can kill -9. */
export interface RelayProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves once the process printed a line matching `pattern` (rejects when it exits first). */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGKILL: no cleanup runs, exactly like a crash. Resolves when the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM, then waits for the exit code. */
  terminate(): Promise<number | null>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the process printed so far. */
  output(): string;
}

/** The built `lockstep` CLI of this checkout: what `npx lockstep` runs in an installed app. */
export const LOCKSTEP_CLI = fileURLToPath(new URL('../../cli/dist/main.js', import.meta.url));

/** Fails with the fix when the CLI was not built: tests run the relay as users do, from built JavaScript. */
export function assertCliBuilt(): void {
  if (!existsSync(LOCKSTEP_CLI)) throw new Error(`${LOCKSTEP_CLI} does not exist: run \`npm run build\` first (npm test does)`);
}

/** Starts the relay as `node libs/cli/dist/main.js relay` (= `npx lockstep relay`). */
export function spawnRelayProcess(env: Record<string, string>, logFile?: string): RelayProcess {
  assertCliBuilt();
  const child = spawn(process.execPath, [LOCKSTEP_CLI, 'relay'], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: '1', LOCKSTEP_RELAY_HTTP_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const listeners = new Set<() => void>();
  const log = logFile ? createWriteStream(logFile, { flags: 'a' }) : null;
  const onData = (chunk: Buffer): void => {
    text += chunk.toString('utf8');
    if (text.length > 2_000_000) text = text.slice(-1_000_000);
    log?.write(chunk);
    for (const l of [...listeners]) l();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      log?.end();
      for (const l of [...listeners]) l();
      resolve({ code, signal });
    });
  });
  let done = false;
  void exited.then(() => (done = true));
  return {
    child,
    pid: child.pid ?? -1,
    exited,
    output: () => text,
    waitForOutput(pattern, timeoutMs = 60_000) {
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (pattern.test(text)) finish();
          else if (done) finish(new Error(`relay process exited before printing ${pattern}; output tail:\n${text.slice(-3000)}`));
        };
        const timer = setTimeout(
          () => finish(new Error(`relay process did not print ${pattern} within ${timeoutMs} ms; tail:\n${text.slice(-3000)}`)),
          timeoutMs,
        );
        function finish(error?: Error): void {
          clearTimeout(timer);
          listeners.delete(check);
          if (error) reject(error);
          else resolve();
        }
        listeners.add(check);
        check();
      });
    },
    async kill9() {
      if (!done) child.kill('SIGKILL');
      await exited;
    },
    async terminate() {
      if (!done) child.kill('SIGTERM');
      return (await exited).code;
    },
  };
}
