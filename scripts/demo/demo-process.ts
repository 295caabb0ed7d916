import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';

/**
 * One service of the demo as a separate OS process running built JavaScript (`npm run build`),
 * as production would. Output goes to a log file; `kill9()` is a real SIGKILL.
 */
export class DemoProcess {
  private child?: ChildProcess;
  private exited?: Promise<number | null>;
  restarts = 0;

  constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly args: readonly string[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly logFile: string,
  ) {}

  start(): void {
    const log = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, [this.entry, ...this.args], {
      env: { ...process.env, ...this.env },
      stdio: ['ignore', log, log],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** kill -9: no shutdown hook runs, nothing is flushed. */
  async kill9(): Promise<void> {
    if (!this.child || !this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  async restart(): Promise<void> {
    await this.kill9();
    this.restarts++;
    this.start();
  }

  /** Graceful stop (SIGTERM), then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.child || !this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
