import { DeadLetterPublishError } from '../core/consumer.errors.js';
import { DeadLetterHeader, deadLetterHeaders } from '../core/dead-letter-headers.js';
import { keyHashHex } from '../core/partition-state.js';
import type { DeadLetterReason, RecordEnvelope } from '../core/record-decoder.js';
import type { OutgoingRecord } from '../ports/dead-letter-sink.port.js';
import { ABORTED, type PartitionWork, type Step } from './partition-work.js';
import type { ProcessorDeps } from './processor-deps.js';

/**
 * Sends a record to its dead-letter topic and records that in MySQL. Dead-letter topic first,
 * MySQL marker second: a crash in between re-runs the record and publishes a second dead
 * letter (duplicates are harmless: the redrive and the inbox deduplicate them), while the
 * opposite order could lose the record.
 */
export class DeadLetterer {
  constructor(private readonly deps: ProcessorDeps) {}

  async deadLetter(
    work: PartitionWork,
    e: RecordEnvelope,
    reason: DeadLetterReason,
    message: string,
    options: { unpark?: boolean } = {},
  ): Promise<Step> {
    const { store, settings } = this.deps;
    const r = e.record;
    const redriven = r.headers[DeadLetterHeader.redrivenAt] !== undefined;
    if (e.eventIdBytes) {
      const status = await work.untilStored(() => store.eventStatus(e.eventIdBytes!));
      if (status === ABORTED) return ABORTED;
      // A duplicate of an event already applied, or already dead-lettered: not a new dead letter.
      if (status === 'applied' || (status === 'dead-lettered' && !redriven)) {
        const stored = await work.untilStored(() =>
          store.inTransaction((qr) => store.storeOffset(qr, r.topic, r.partition, BigInt(r.offset) + 1n)),
        );
        if (stored === ABORTED) return ABORTED;
        work.count(e, 'duplicate');
        work.markDone(e);
        return;
      }
    }
    const dlqTopic = settings.deadLetterTopic(r.topic);
    const headers = deadLetterHeaders(r.headers, {
      reason,
      error: message,
      topic: r.topic,
      partition: r.partition,
      offset: r.offset,
      consumer: settings.consumer,
      at: new Date(),
    });
    const published = await work.untilStored(() => this.publish(r.topic, dlqTopic, { key: r.key, value: r.value, headers }));
    if (published === ABORTED) return ABORTED;
    // A record without a valid event id cannot be re-driven into place, so it parks nothing.
    const park = settings.onDeadLetter === 'park-key' && e.key !== null && e.eventIdBytes !== undefined && !options.unpark;
    const stored = await work.untilStored(() =>
      store.inTransaction(async (qr) => {
        if (e.eventIdBytes) {
          if (redriven) await store.resetDeadLetter(qr, e.eventIdBytes);
          await store.recordDeadLetter(qr, {
            eventId: e.eventIdBytes,
            topic: r.topic,
            partition: r.partition,
            offset: r.offset,
            reason,
          });
        }
        if (park)
          await store.park(qr, {
            topic: r.topic,
            partition: r.partition,
            key: e.key!,
            headEventId: e.eventIdBytes ?? null,
            headOffset: r.offset,
          });
        await store.storeOffset(qr, r.topic, r.partition, BigInt(r.offset) + 1n);
      }),
    );
    if (stored === ABORTED) return ABORTED;
    if (park) {
      const hash = keyHashHex(e.key!);
      if (!work.state.parked.has(hash)) work.state.parked.set(hash, e.eventIdBytes?.toString('hex') ?? '');
    }
    work.count(e, reason === 'parked-behind' ? 'parked' : 'dead_lettered');
    this.deps.logger.warn(
      `dead-lettered ${r.topic}[${r.partition}]@${r.offset} (${e.eventType ?? 'no type'} ${e.eventId ?? 'no id'}) to ${dlqTopic}: ${reason}: ${message}`,
    );
    work.markDone(e);
  }

  private async publish(sourceTopic: string, dlqTopic: string, record: OutgoingRecord): Promise<void> {
    const { sink } = this.deps;
    try {
      await sink.ensureTopic(sourceTopic, dlqTopic);
      try {
        await sink.publish(dlqTopic, record);
      } catch (error) {
        const type = (error as { type?: string }).type;
        if (type !== 'MESSAGE_TOO_LARGE' && type !== 'RECORD_LIST_TOO_LARGE') throw error;
        // Too large even for the dead-letter topic: keep the evidence (headers, where the
        // original is) and drop the value; the original stays in the source topic.
        await sink.publish(dlqTopic, {
          key: record.key,
          value: null,
          headers: { ...record.headers, [DeadLetterHeader.valueDropped]: String(record.value?.length ?? 0) },
        });
      }
    } catch (error) {
      throw new DeadLetterPublishError(dlqTopic, error);
    }
  }
}
