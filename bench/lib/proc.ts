import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync, closeSync } from 'node:fs';
import { sleep } from './util.js';

const CLK_TCK = 100; // `getconf CLK_TCK` on Linux x86-64

/** CPU seconds (user + system) of one process, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): utime is field 14, stime field 15.
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/** Peak resident set size in MiB (VmHWM). */
export function peakRssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

export interface RunningProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  /** Last CPU/RSS sample (kept after the process exits). */
  sample(): { cpu: number; rss: number };
  /** SIGTERM, then SIGKILL after graceMs. */
  stop(graceMs?: number): Promise<void>;
}

/** Spawns a system under test with stdout/stderr to a log file, sampling /proc while it runs. */
export function spawnLogged(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
  cwd?: string,
): RunningProcess {
  const fd = openSync(logFile, 'a');
  const child = spawn(command, args, { env, stdio: ['ignore', fd, fd], cwd });
  closeSync(fd);
  if (!child.pid) throw new Error(`could not start ${command}`);
  const pid = child.pid;
  let last = { cpu: 0, rss: 0 };
  let alive = true;
  const take = (): void => {
    if (!alive) return;
    const cpu = cpuSeconds(pid);
    const rss = peakRssMiB(pid);
    if (Number.isFinite(cpu)) last = { cpu, rss: Number.isFinite(rss) ? rss : last.rss };
  };
  const timer = setInterval(take, 100);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      alive = false;
      clearInterval(timer);
      resolve(code);
    });
  });
  return {
    pid,
    child,
    exited,
    sample() {
      take();
      return { ...last };
    },
    async stop(graceMs = 15_000) {
      take();
      if (!alive) return;
      child.kill('SIGTERM');
      const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (!done) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
