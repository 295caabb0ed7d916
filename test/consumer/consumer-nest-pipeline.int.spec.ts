import 'reflect-metadata';
import {
  Controller,
  Injectable,
  Module,
  UseGuards,
  UseInterceptors,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, Payload } from '@nestjs/microservices';
import { IsInt, IsString } from 'class-validator';
import { defer, timer, mergeMap, tap, type Observable } from 'rxjs';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LockstepHeader, uuidToString, uuidv7Bytes } from '@lockstep/core';
import { OutboxEvent } from '@lockstep/core';
import { LockstepContext, LockstepHandler, LockstepServer } from '@lockstep/consumer';
import {
  applyLockstepSchema,
  createTestDatabase,
  createTopics,
  testKafkaConnection,
  uniqueName,
  waitFor,
  type TestDatabase,
} from '@lockstep/testing';
import { applyConsumerFixtureSchema, produceWire } from './consumer-test-kit.js';

@OutboxEvent({ type: 'ctest.note-added', aggregate: 'ctest-note', aggregateId: 'noteId' })
class NoteAdded {
  @IsString() noteId!: string;
  @IsInt() n!: number;
}

const calls = { guard: 0, interceptorBefore: 0, interceptorAfter: 0 };

@Injectable()
class CountingGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    calls.guard++;
    return context.switchToRpc().getContext() instanceof LockstepContext;
  }
}

@Injectable()
class CountingInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    calls.interceptorBefore++;
    return next.handle().pipe(tap({ complete: () => calls.interceptorAfter++ }));
  }
}

/** Returns a cold Observable whose write happens 300 ms later: committed only if the transport
 * awaits the stream (Nest's base handleEvent would not). Uses @Payload()/@Ctx() explicitly. */
@Controller()
@UseGuards(CountingGuard)
@UseInterceptors(CountingInterceptor)
class SlowNotes {
  @LockstepHandler(NoteAdded)
  onAdded(@Payload() event: NoteAdded, @Ctx() ctx: LockstepContext): Observable<unknown> {
    return defer(() =>
      timer(300).pipe(mergeMap(() => ctx.manager.query('INSERT INTO notes (id, n) VALUES (?, ?)', [event.noteId, event.n]))),
    );
  }
}

@Module({ controllers: [SlowNotes], providers: [CountingGuard, CountingInterceptor] })
class NotesModule {}

describe('Nest pipeline on Lockstep handlers', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase('cnest');
    await applyLockstepSchema(db);
    await applyConsumerFixtureSchema(db);
    dataSource = new DataSource({ type: 'mysql', url: db.url, poolSize: 5 });
    await dataSource.initialize();
    await dataSource.query('CREATE TABLE notes (id VARCHAR(64) PRIMARY KEY, n INT NOT NULL)');
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('refuses to start without its tables, saying how to fix it', async () => {
    const bare = await createTestDatabase('cbare');
    const ds = new DataSource({ type: 'mysql', url: bare.url, poolSize: 2 });
    await ds.initialize();
    try {
      const app = await NestFactory.createMicroservice(NotesModule, {
        strategy: new LockstepServer({
          consumerName: 'bare',
          dataSource: ds,
          topics: ['ctest.none'],
          kafka: testKafkaConnection(),
        }),
        logger: false,
      });
      await expect(app.listen()).rejects.toThrow(
        /consumer tables missing: lockstep_inbox, lockstep_consumer_offsets.*How to fix: run the Lockstep migrations/s,
      );
      await app.close();
    } finally {
      await ds.destroy();
      await bare.drop();
    }
  });

  it('runs guards and interceptors, and awaits an Observable handler inside the transaction', async () => {
    const topic = uniqueName('ctest.note');
    await createTopics([topic], { partitions: 1 });
    const records = [1, 2, 3].map((n) => ({
      key: `note-${n}`,
      value: Buffer.from(JSON.stringify({ noteId: `note-${n}`, n })),
      headers: { [LockstepHeader.id]: uuidToString(uuidv7Bytes()), [LockstepHeader.type]: 'ctest.note-added' },
    }));
    await produceWire(topic, records);
    const server = new LockstepServer({
      consumerName: uniqueName('notes'),
      dataSource,
      topics: [topic],
      kafka: testKafkaConnection(),
    });
    const app = await NestFactory.createMicroservice(NotesModule, { strategy: server, logger: ['error', 'warn'] });
    await app.listen();
    expect(server.state).toBe('connected');
    try {
      await waitFor(
        'three offsets stored',
        async () => {
          const rows = await dataSource.query<Array<{ next_offset: string }>>(
            'SELECT next_offset FROM lockstep_consumer_offsets',
          );
          return (rows[0] && Number(rows[0].next_offset) >= 3) || undefined;
        },
        { timeoutMs: 60_000 },
      );
    } finally {
      await app.close();
    }
    expect(server.state).toBe('disconnected');
    const notes = await dataSource.query<Array<{ id: string; n: number }>>('SELECT id, n FROM notes ORDER BY n');
    expect(notes).toEqual([
      { id: 'note-1', n: 1 },
      { id: 'note-2', n: 2 },
      { id: 'note-3', n: 3 },
    ]);
    expect(calls).toEqual({ guard: 3, interceptorBefore: 3, interceptorAfter: 3 });
  });
});
