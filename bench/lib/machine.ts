import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

function tryRun(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() || 'n/a';
}

function pkgVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return 'n/a';
  }
}

/** What the numbers were measured on. */
export function describeMachine(): Record<string, string> {
  const model = (/model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'n/a').trim();
  return {
    cpus: `${tryRun('nproc', [])} × ${model}`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: tryRun('uname', ['-r']),
    load_at_start: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    node: process.version,
    java: tryRun('java', ['-version']).split('\n')[0] ?? 'n/a',
    kafkajs: pkgVersion('kafkajs'),
    mysql2: pkgVersion('mysql2'),
    '@vlasky/zongji': pkgVersion('@vlasky/zongji'),
    note: 'shared machine: MariaDB, Kafka, the system under test and the harness (writers + reader) share these cores',
  };
}
