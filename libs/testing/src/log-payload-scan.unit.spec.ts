import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPayloadsInLogs } from './log-payload-scan.js';

describe('findPayloadsInLogs', () => {
  it('finds a payload value in a log file and in text, with its line; nothing in a clean log', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-logscan-'));
    try {
      const file = join(dir, 'relay.log');
      writeFileSync(file, 'state idle -> leading\npublished {"customerId":"cust-123456"}\n');
      expect(findPayloadsInLogs(['cust-123456'], [file, { name: 'stdout', text: 'ok\nok\ncust-123456' }])).toEqual([
        { source: file, payload: 'cust-123456', line: 2 },
        { source: 'stdout', payload: 'cust-123456', line: 3 },
      ]);
      expect(findPayloadsInLogs(['cust-999999'], [file])).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a scan that could pass by scanning nothing', () => {
    expect(() => findPayloadsInLogs([], ['x'])).toThrow(/no payload values/);
    expect(() => findPayloadsInLogs(['abc'], [{ name: 'x', text: '' }])).toThrow(/shorter than 6/);
    expect(() => findPayloadsInLogs(['cust-123456'], [])).toThrow(/no logs/);
    expect(() => findPayloadsInLogs(['cust-123456'], ['/no/such/log'])).toThrow(/ENOENT/);
  });
});
