import type { EntityManager } from 'typeorm';
import type { EventRecord } from '../core/record-decoder.js';

/**
 * Runs the `@LockstepHandler()` methods of one decoded event inside the given transaction
 * (`manager`), to the end (every Promise and Observable awaited). A throw means the handler
 * failed; the caller rolls the transaction back. The Nest transport is the implementation.
 */
export type HandlerInvoker = (decoded: EventRecord, manager: EntityManager, attempt: number) => Promise<void>;
