import { kafkaConnectionFromEnv } from '@lockstep/core';
import { listDeadLetters, redriveDeadLetters, type DeadLetterRecord } from '@lockstep/consumer';
import { UsageError, type CliCommand, type CommandInput } from '../cli-command.js';

function row(r: DeadLetterRecord): string {
  return [
    `${r.partition}@${r.offset}`,
    r.reason ?? '-',
    r.eventType ?? '-',
    r.eventId ?? '-',
    `${r.originalTopic ?? '?'}[${r.originalPartition ?? '?'}]@${r.originalOffset ?? '?'}`,
    r.consumer ?? '-',
    r.deadLetteredAt ?? '-',
    (r.error ?? '').slice(0, 120),
  ].join('\t');
}

/** `lockstep dlq`: list or re-drive dead letters. Payloads are never printed. */
export const dlqCommand: CliCommand = {
  name: 'dlq',
  usage: `usage: lockstep dlq <list|redrive> <dlq-topic> [--consumer NAME] [--reason R]... [--json] [--dry-run] [--cursor-group G]

  list      print the dead letters (position, reason, type, event id, origin, consumer, time, error)
  redrive   send them back to their original topics, each once (a cursor group remembers progress)
  --consumer NAME     only this consumer's dead letters
  --reason R          only these reasons (repeatable)
  --json              list as JSON (keys and sizes, no payloads)
  --dry-run           redrive: show what would be sent
  --cursor-group G    redrive: the consumer group that stores the re-drive position
Brokers and security come from LOCKSTEP_KAFKA_BROKERS / LOCKSTEP_KAFKA_SSL / LOCKSTEP_KAFKA_SASL_*.`,
  allowPositionals: true,
  options: {
    consumer: { type: 'string' },
    reason: { type: 'string', multiple: true },
    'dry-run': { type: 'boolean', default: false },
    'cursor-group': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
  run: ({ positionals, values, env }) => dlq(positionals, values, env),
};

async function dlq(positionals: readonly string[], values: CommandInput['values'], env: NodeJS.ProcessEnv): Promise<number> {
  const [command, topic] = positionals;
  if (!topic || (command !== 'list' && command !== 'redrive') || positionals.length > 2)
    throw new UsageError('give list or redrive, then the dead-letter topic');
  const filters = {
    kafka: kafkaConnectionFromEnv(env),
    deadLetterTopic: topic,
    consumer: values.consumer as string | undefined,
    reasons: values.reason as string[] | undefined,
  };
  if (command === 'list') {
    const records = await listDeadLetters(filters);
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify(records.map(({ key, value, ...r }) => ({ ...r, key: key?.toString('utf8') ?? null, valueBytes: value?.length ?? 0 })))}\n`,
      );
    } else {
      process.stdout.write('position\treason\ttype\tevent id\toriginal\tconsumer\tdead-lettered at\terror\n');
      for (const r of records) process.stdout.write(`${row(r)}\n`);
      process.stdout.write(`${records.length} dead letters\n`);
    }
    return 0;
  }
  const result = await redriveDeadLetters({
    ...filters,
    dryRun: values['dry-run'] === true,
    cursorGroup: values['cursor-group'] as string | undefined,
  });
  for (const r of result.matched) process.stdout.write(`${row(r)}\n`);
  process.stdout.write(
    values['dry-run']
      ? `dry run: ${result.matched.length} dead letters would be re-driven\n`
      : `re-drove ${result.redriven} dead letters (${result.duplicates} duplicates sent once)\n`,
  );
  return 0;
}
