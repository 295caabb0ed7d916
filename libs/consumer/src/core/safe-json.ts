/** Why a payload could not become a plain object. */
export type JsonRejection = 'malformed-json' | 'forbidden-key' | 'not-an-object';

export type SafeJsonResult = { ok: true; value: Record<string, unknown> } | { ok: false; reason: JsonRejection; message: string };

// `__proto__` survives JSON.parse as an own property, and `plainToInstance` / spread / merge
// helpers downstream may then assign it and change an object's prototype. `constructor` and
// `prototype` together are the other route to pollution; reject the lot up front.
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Parses UTF-8 JSON bytes into a plain object, refusing prototype-polluting keys at any depth.
 * Never throws: a bad payload is a value, so the caller can dead-letter it instead of crashing.
 */
export function safeJsonParse(bytes: Buffer | string): SafeJsonResult {
  const text = typeof bytes === 'string' ? bytes : bytes.toString('utf8');
  let forbidden: string | undefined;
  let value: unknown;
  try {
    value = JSON.parse(text, function reviver(key: string, v: unknown): unknown {
      if (FORBIDDEN.has(key)) forbidden ??= key;
      return v;
    });
  } catch (error) {
    // V8's message quotes the payload ("Unexpected token ..., "{"secret":..." is not valid
    // JSON"): keep only the position, payloads never reach logs or dead-letter headers.
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    return {
      ok: false,
      reason: 'malformed-json',
      message: `payload is not valid JSON${position ? ` (at position ${position})` : ''}`,
    };
  }
  if (forbidden !== undefined) {
    return { ok: false, reason: 'forbidden-key', message: `payload contains the forbidden key "${forbidden}"` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, reason: 'not-an-object', message: 'payload must be a JSON object' };
  }
  return { ok: true, value: value as Record<string, unknown> };
}
