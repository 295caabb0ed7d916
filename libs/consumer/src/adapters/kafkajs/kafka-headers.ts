import type { IHeaders } from 'kafkajs';

/** Kafka headers as plain strings (kafkajs hands out Buffers, strings or arrays of them).
 * A repeated header keeps its last value, as most Kafka clients do for `lastHeader()`. */
export function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  if (!headers) return out;
  for (const [name, raw] of Object.entries(headers)) {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value === undefined || value === null) continue;
    out[name] = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  }
  return out;
}
