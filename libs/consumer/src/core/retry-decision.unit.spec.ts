import { describe, expect, it } from 'vitest';
import { LockstepError } from '@lockstep/core';
import { DeadLetterError } from './consumer.errors.js';
import { decideRetry } from './retry-decision.js';

describe('decideRetry', () => {
  it("waits out Lockstep's own failures and driver connection errors, whatever the attempt", () => {
    expect(decideRetry('lockstep', new Error('commit failed'), 9, 5)).toBe('wait-for-infrastructure');
    expect(decideRetry('handler', Object.assign(new Error('gone'), { code: 'PROTOCOL_CONNECTION_LOST' }), 5, 5)).toBe(
      'wait-for-infrastructure',
    );
    expect(decideRetry('handler', { driverError: { code: 'ECONNRESET' } }, 1, 5)).toBe('wait-for-infrastructure');
  });

  it("reads the error's own retriable flag, not its class", () => {
    expect(decideRetry('handler', new DeadLetterError('never'), 1, 5)).toBe('dead-letter');
    expect(decideRetry('handler', new LockstepError('X', 'deterministic'), 1, 5)).toBe('dead-letter');
    // A kafkajs-like error that says it may pass.
    expect(decideRetry('handler', Object.assign(new Error('leader moved'), { retriable: true }), 1, 5)).toBe('retry');
    // Any object with retriable: false, of no known class.
    expect(decideRetry('handler', { retriable: false }, 1, 5)).toBe('dead-letter');
  });

  it('gives an error without the flag the configured attempts', () => {
    expect(decideRetry('handler', new Error('boom'), 1, 5)).toBe('retry');
    expect(decideRetry('handler', new Error('boom'), 4, 5)).toBe('retry');
    expect(decideRetry('handler', new Error('boom'), 5, 5)).toBe('dead-letter');
    expect(decideRetry('handler', Object.assign(new Error('x'), { retriable: true }), 5, 5)).toBe('dead-letter');
  });
});
