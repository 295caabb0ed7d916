import { DEFAULT_TOPIC_PREFIX, LockstepHeader, defaultTopicFor, uuidToString } from '@lockstep/core';
import type { OutboxRow } from './outbox-row.js';
import { InvalidTopicError } from './relay.errors.js';

/** A Kafka record as the relay publishes it; no Kafka client types leak out of the publisher. */
export interface RelayRecord {
  topic: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/** Picks the topic of an event; the default is `<prefix>.<aggregate_type>`. */
export type TopicRouter = (row: Pick<OutboxRow, 'aggregateType' | 'eventType' | 'aggregateId'>) => string;

export function defaultTopicRouter(prefix: string = DEFAULT_TOPIC_PREFIX): TopicRouter {
  return (row) => defaultTopicFor(prefix, row.aggregateType);
}

const TEMPLATE_FIELDS = ['prefix', 'aggregate_type', 'event_type'] as const;

/**
 * A router from configuration (`LOCKSTEP_TOPIC_TEMPLATE`): `{prefix}`, `{aggregate_type}` and
 * `{event_type}` are replaced, e.g. `{prefix}.{aggregate_type}` (the default) or `events.{event_type}`.
 */
export function templateTopicRouter(template: string, prefix: string = DEFAULT_TOPIC_PREFIX): TopicRouter {
  const unknown = [...template.matchAll(/\{([^}]*)\}/g)]
    .map((m) => m[1])
    .filter((f) => !(TEMPLATE_FIELDS as readonly string[]).includes(f));
  if (unknown.length > 0 || template.trim() === '') {
    throw new TypeError(
      `topic template "${template}": ${unknown.length > 0 ? `unknown placeholder {${unknown[0]}}` : 'empty'}; use {prefix}, {aggregate_type} and {event_type}`,
    );
  }
  return (row) =>
    template
      .replaceAll('{prefix}', prefix)
      .replaceAll('{aggregate_type}', row.aggregateType)
      .replaceAll('{event_type}', row.eventType);
}

/** Kafka's rule for topic names. */
export function isValidTopicName(topic: string): boolean {
  return /^[a-zA-Z0-9._-]{1,249}$/.test(topic) && topic !== '.' && topic !== '..';
}

/** `2026-11-24 20:30:00.123456` (DATETIME(6) text) -> `2026-11-24T20:30:00.123456Z`. */
export function occurredAtIso(createdAt: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?/.exec(createdAt);
  if (!m) return createdAt;
  return `${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(6, '0')}Z`;
}

/** Parses the headers column; a malformed value is dropped rather than blocking the stream. */
function parseHeaders(text: string | null): Record<string, string> {
  if (!text) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (v === null || v === undefined) continue;
      out[k] = typeof v === 'string' ? v : JSON.stringify(v);
    }
    return out;
  } catch {
    return {};
  }
}

/** Wire contract: key = aggregate id, value = payload bytes verbatim, Lockstep headers win over app headers. */
export function toRelayRecord(row: OutboxRow, router: TopicRouter): RelayRecord {
  const topic = router(row);
  if (!isValidTopicName(topic)) throw new InvalidTopicError(uuidToString(row.id), row.aggregateType, topic);
  return {
    topic,
    key: row.aggregateId,
    value: row.payload,
    headers: {
      ...parseHeaders(row.headers),
      [LockstepHeader.id]: uuidToString(row.id),
      [LockstepHeader.type]: row.eventType,
      [LockstepHeader.aggregateType]: row.aggregateType,
      [LockstepHeader.aggregateId]: row.aggregateId,
      [LockstepHeader.occurredAt]: occurredAtIso(row.createdAt),
    },
  };
}
