import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** What a command printed, kept whole for failure messages (never payloads: the app logs none). */
export interface CommandResult {
  code: number | null;
  output: string;
}

/**
 * Runs a command to its end with a deadline; rejects with the output's tail when it fails or
 * outlives the deadline (then it is killed, with its process group).
 */
export async function run(
  command: string,
  args: string[],
  {
    cwd,
    env = process.env,
    timeoutMs,
    allowFailure = false,
  }: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number; allowFailure?: boolean },
): Promise<CommandResult> {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child, 'SIGKILL');
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c) => resolve(c));
  }).finally(() => clearTimeout(timer));
  const line = `${command} ${args.join(' ')}`;
  if (timedOut)
    throw new Error(`\`${line}\` (in ${cwd}) did not finish within ${timeoutMs} ms; output tail:\n${output.slice(-4000)}`);
  if (code !== 0 && !allowFailure)
    throw new Error(`\`${line}\` (in ${cwd}) exited with ${code}; output tail:\n${output.slice(-6000)}`);
  return { code, output };
}

/** A long-running child (the relay, the app) whose output a test can wait on. */
export interface Service {
  readonly name: string;
  readonly child: ChildProcess;
  output(): string;
  /** Resolves once the output matches `pattern`; rejects when the process exits first or at the deadline. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<void>;
  /** SIGTERM, then how it ended (rejects at the deadline, after a SIGKILL). */
  terminate(timeoutMs: number): Promise<Exit>;
  readonly exited: Promise<Exit>;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function startService(
  name: string,
  command: string,
  args: string[],
  { cwd, env }: { cwd: string; env: NodeJS.ProcessEnv },
): Service {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    text += chunk.toString('utf8');
    if (text.length > 1_000_000) text = text.slice(-500_000);
    for (const l of [...listeners]) l();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let done = false;
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      for (const l of [...listeners]) l();
      resolve({ code, signal });
    });
  });
  return {
    name,
    child,
    exited,
    output: () => text,
    waitForOutput(pattern, timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (pattern.test(text)) finish();
          else if (done) finish(new Error(`${name} exited before printing ${pattern}; output tail:\n${text.slice(-4000)}`));
        };
        const timer = setTimeout(
          () => finish(new Error(`${name} did not print ${pattern} within ${timeoutMs} ms; output tail:\n${text.slice(-4000)}`)),
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
    async terminate(timeoutMs) {
      if (!done) child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          killGroup(child, 'SIGKILL');
          reject(new Error(`${name} did not exit within ${timeoutMs} ms of SIGTERM; output tail:\n${text.slice(-4000)}`));
        }, timeoutMs);
      });
      try {
        return await Promise.race([exited, deadline]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Kills a child started with `detached: true` together with what it started (npx -> node). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/** A TCP port free right now on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
