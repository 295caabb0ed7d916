import { describe, expect, it } from 'vitest';
import { transactionsBehind } from './gtid-lag.js';

describe('transactionsBehind', () => {
  it('MariaDB: seq difference per domain', () => {
    expect(transactionsBehind('0-1-120', '0-1-100')).toBe(20);
    expect(transactionsBehind('0-1-100', '0-1-100')).toBe(0);
    // A failover changes the server id inside a domain; seq keeps counting.
    expect(transactionsBehind('0-2-130', '0-1-100')).toBe(30);
    expect(transactionsBehind('0-1-50,1-1-7', '0-1-40')).toBe(17);
    expect(transactionsBehind('0-1-5', '')).toBe(5);
    // A checkpoint ahead of what the server reports (a stale read) is no negative lag.
    expect(transactionsBehind('0-1-5', '0-1-9')).toBe(0);
  });

  it('MySQL: transaction numbers in the server set and not in the checkpoint set', () => {
    const a = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
    const b = '4f22fa47-71ca-11e1-9e33-c80aa9429562';
    expect(transactionsBehind(`${a}:1-100`, `${a}:1-90`)).toBe(10);
    expect(transactionsBehind(`${a}:1-100`, `${a}:1-100`)).toBe(0);
    expect(transactionsBehind(`${a}:1-100:200-209`, `${a}:1-100`)).toBe(10);
    expect(transactionsBehind(`${a}:1-100,\n${b}:1-5`, `${a}:1-100`)).toBe(5);
    expect(transactionsBehind(`${a.toUpperCase()}:1-3`, `${a}:1-2`)).toBe(1);
    expect(transactionsBehind(`${a}:1-100`, '')).toBe(100);
    expect(transactionsBehind(`${a}:7`, `${a}:1-6`)).toBe(1);
  });

  it('an empty server position is no lag', () => {
    expect(transactionsBehind('', '0-1-1')).toBe(0);
  });
});
