import { readFileSync } from 'node:fs';

/** A log to scan: a file path, or text already in hand (a child process's output). */
export type LogSource = string | { name: string; text: string };

/** One payload value found in one log line. */
export interface PayloadInLog {
  source: string;
  payload: string;
  /** 1-based line number in the source. */
  line: number;
}

/**
 * "Logs never contain payloads" (docs/design.md, Operability): returns every place where one of
 * `payloads` (values the test itself wrote into event payloads, e.g. customer ids) occurs in the
 * given logs. An empty result is the pass. Throws when a file cannot be read or there is nothing
 * to look for, so a scan can never pass by having scanned nothing.
 */
export function findPayloadsInLogs(payloads: readonly string[], sources: readonly LogSource[]): PayloadInLog[] {
  const needles = [...new Set(payloads)];
  if (needles.length === 0) throw new Error('findPayloadsInLogs: no payload values to look for');
  if (needles.some((p) => p.length < 6))
    throw new Error('findPayloadsInLogs: payload values shorter than 6 characters would match by chance; use distinctive values');
  if (sources.length === 0) throw new Error('findPayloadsInLogs: no logs to scan');
  const found: PayloadInLog[] = [];
  for (const source of sources) {
    const name = typeof source === 'string' ? source : source.name;
    const text = typeof source === 'string' ? readFileSync(source, 'utf8') : source.text;
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      for (const payload of needles) if (line.includes(payload)) found.push({ source: name, payload, line: i + 1 });
    });
  }
  return found;
}
