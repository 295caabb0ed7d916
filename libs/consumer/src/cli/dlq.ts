import { parseArgs } from 'node:util';
import { listDeadLetters, redriveDeadLetters, type DeadLetterRecord } from '../dead-letter-redrive.js';

/**
 * `lockstep dlq`: list or re-drive dead letters.
 *
 *   node --import @swc-node/register/esm-register libs/consumer/src/cli/dlq.ts list    <dlq-topic> [--consumer NAME] [--reason R]... [--json]
 *   node --import @swc-node/register/esm-register libs/consumer/src/cli/dlq.ts redrive <dlq-topic> [--consumer NAME] [--reason R]... [--dry-run] [--cursor-group G]
 *
 * Brokers and security come from LOCKSTEP_KAFKA_BROKERS / LOCKSTEP_KAFKA_SSL / LOCKSTEP_KAFKA_SASL_*.
 * Payloads are never printed.
 */
const USAGE = `usage: dlq.ts <list|redrive> <dlq-topic> [--consumer NAME] [--reason R]... [--dry-run] [--cursor-group G] [--json]`;

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

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      consumer: { type: 'string' },
      reason: { type: 'string', multiple: true },
      'dry-run': { type: 'boolean', default: false },
      'cursor-group': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const [command, topic] = positionals;
  if (!topic || (command !== 'list' && command !== 'redrive')) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const filters = { deadLetterTopic: topic, consumer: values.consumer, reasons: values.reason };
  if (command === 'list') {
    const records = await listDeadLetters(filters);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(records.map(({ key, value, ...r }) => ({ ...r, key: key?.toString('utf8') ?? null, valueBytes: value?.length ?? 0 })))}\n`);
    } else {
      process.stdout.write('position\treason\ttype\tevent id\toriginal\tconsumer\tdead-lettered at\terror\n');
      for (const r of records) process.stdout.write(`${row(r)}\n`);
      process.stdout.write(`${records.length} dead letters\n`);
    }
    return 0;
  }
  const result = await redriveDeadLetters({ ...filters, dryRun: values['dry-run'], cursorGroup: values['cursor-group'] });
  for (const r of result.matched) process.stdout.write(`${row(r)}\n`);
  process.stdout.write(
    values['dry-run']
      ? `dry run: ${result.matched.length} dead letters would be re-driven\n`
      : `re-drove ${result.redriven} dead letters (${result.duplicates} duplicates sent once)\n`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`lockstep dlq: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
