import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';

@Injectable()
class Clock {
  now(): number {
    return 42;
  }
}

@Injectable()
class UsesClock {
  constructor(readonly clock: Clock) {}
}

@Module({ providers: [Clock, UsesClock] })
class SmokeModule {}

describe('toolchain', () => {
  it('emits decorator metadata so Nest injects by type', async () => {
    const ref = await Test.createTestingModule({ imports: [SmokeModule] }).compile();
    expect(ref.get(UsesClock).clock.now()).toBe(42);
  });
});
