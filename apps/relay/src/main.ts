import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { LockstepError } from '@lockstep/core';
import { Relay, RelayFencedError } from '@lockstep/relay';
import { RelayAppModule } from './relay-app.module.js';
import { relayOptionsFromEnv } from './relay-env.js';

/** Exit codes a supervisor can act on. */
export const EXIT_FATAL = 1;
export const EXIT_FENCED = 3;

/**
 * The relay as a process, configured by environment only (docs/relay.md). SIGTERM/SIGINT stop it
 * gracefully; being fenced by a newer relay exits with code 3 and a message, never a retry loop.
 */
async function main(): Promise<void> {
  const logger = new Logger('LockstepRelay');
  const { httpPort, ...options } = relayOptionsFromEnv();
  const app = await NestFactory.create(RelayAppModule.register(options), { logger: ['log', 'warn', 'error'] });
  const relay = app.get(Relay);
  relay.on('state', (from, to) => logger.log(`state ${from} -> ${to}`));
  relay.closed().catch(async (error: unknown) => {
    const fenced = error instanceof RelayFencedError;
    // The stable code first, for alerts and log searches; the message carries the fix.
    const code = error instanceof LockstepError ? ` ${error.code}` : '';
    logger.error(fenced ? `FENCED${code}: ${(error as Error).message}` : `fatal${code}: ${(error as Error).message}`);
    await app.close().catch(() => undefined);
    process.exit(fenced ? EXIT_FENCED : EXIT_FATAL);
  });
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: stopping gracefully`);
    // app.close() runs RelayModule's beforeApplicationShutdown: finish the Kafka tx, stop the binlog, release the lock.
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`shutdown failed: ${(error as Error).message}`);
        process.exit(EXIT_FATAL);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  if (httpPort > 0) await app.listen(httpPort, '0.0.0.0');
  else await app.init();
  logger.log(`relay "${relay.name}" up${httpPort > 0 ? `; GET /health and /metrics on :${httpPort}` : ''}`);
}

main().catch((error: unknown) => {
  // Preflight failures land here: print the fix and exit non-zero.
  console.error(`[lockstep-relay] cannot start: ${(error as Error).message}`);
  process.exit(EXIT_FATAL);
});
