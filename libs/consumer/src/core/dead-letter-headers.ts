/** Headers of a dead-letter record, on top of the original record's own headers. */
export const DeadLetterHeader = {
  error: 'lockstep-dlq-error',
  reason: 'lockstep-dlq-reason',
  originalTopic: 'lockstep-dlq-original-topic',
  originalPartition: 'lockstep-dlq-original-partition',
  originalOffset: 'lockstep-dlq-original-offset',
  consumer: 'lockstep-dlq-consumer',
  at: 'lockstep-dlq-at',
  valueDropped: 'lockstep-dlq-value-dropped',
  /** Set by the redrive command on records it sends back to the original topic. */
  redrivenAt: 'lockstep-redriven-at',
  redrivenFrom: 'lockstep-redriven-from',
} as const;

export interface DeadLetterInfo {
  reason: string;
  error: string;
  topic: string;
  partition: number;
  offset: string;
  consumer: string;
  at: Date;
}

// Header values travel to other systems and log pipelines: keep them short and on one line.
const MAX_ERROR_HEADER = 1000;
const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim().slice(0, MAX_ERROR_HEADER);

/** The original headers plus the error headers of the dead-letter contract. Any stale
 * dead-letter headers (a record that was dead-lettered before) are replaced. */
export function deadLetterHeaders(original: Record<string, string>, info: DeadLetterInfo): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(original)) {
    if (!k.startsWith('lockstep-dlq-')) out[k] = v;
  }
  out[DeadLetterHeader.error] = oneLine(info.error);
  out[DeadLetterHeader.reason] = info.reason;
  out[DeadLetterHeader.originalTopic] = info.topic;
  out[DeadLetterHeader.originalPartition] = String(info.partition);
  out[DeadLetterHeader.originalOffset] = info.offset;
  out[DeadLetterHeader.consumer] = info.consumer;
  out[DeadLetterHeader.at] = info.at.toISOString();
  return out;
}

/** Headers to send a dead-letter record back to its topic with: the original headers,
 * without the dead-letter ones, plus where and when it was re-driven from. */
export function redriveHeaders(dlq: Record<string, string>, from: string, at: Date): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(dlq)) {
    if (!k.startsWith('lockstep-dlq-') && !k.startsWith('lockstep-redriven-')) out[k] = v;
  }
  out[DeadLetterHeader.redrivenAt] = at.toISOString();
  out[DeadLetterHeader.redrivenFrom] = from;
  return out;
}
