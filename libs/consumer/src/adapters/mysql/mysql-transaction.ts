import type { DataSource, QueryRunner } from 'typeorm';
import { ConsumerStoreError } from '../../core/consumer.errors.js';

/**
 * Runs `fn` in one MySQL transaction on its own pooled connection. Opening and committing
 * failures become ConsumerStoreError (infrastructure: the record is retried in place); what
 * `fn` throws is rethrown as it is, after the rollback.
 */
export async function inTransaction<T>(dataSource: DataSource, fn: (qr: QueryRunner) => Promise<T>): Promise<T> {
  const qr = dataSource.createQueryRunner();
  try {
    await qr.connect();
    await qr.startTransaction();
  } catch (error) {
    await qr.release().catch(() => undefined);
    throw new ConsumerStoreError('could not open a MySQL transaction', error);
  }
  try {
    const result = await fn(qr);
    try {
      await qr.commitTransaction();
    } catch (error) {
      throw new ConsumerStoreError('could not commit', error);
    }
    return result;
  } catch (error) {
    if (qr.isTransactionActive) await qr.rollbackTransaction().catch(() => undefined);
    throw error;
  } finally {
    await qr.release().catch(() => undefined);
  }
}
