import { LockstepError } from '@lockstep/core';
import { Relay, RelayFencedError, type RelayLogger } from '@lockstep/relay';
import type { CliCommand } from '../cli-command.js';
import { startRelayHttpServer } from './relay-http-server.js';
import { relayOptionsFromEnv } from './relay-env.js';

/** Exit codes a supervisor can act on: 1 fatal (see the message), 3 fenced by a newer relay (do not restart in a loop). */
export const EXIT_FATAL = 1;
export const EXIT_FENCED = 3;

/** Lines like Nest's logger prints, without Nest: the relay process needs no application container. */
function consoleLogger(context: string): RelayLogger {
  const line = (level: string, message: string): string =>
    `[lockstep] ${process.pid} - ${new Date().toISOString()} ${level} [${context}] ${message}`;
  return {
    log: (m) => console.log(line('LOG', m)),
    warn: (m) => console.warn(line('WARN', m)),
    error: (m) => console.error(line('ERROR', m)),
  };
}

export const relayCommand: CliCommand = {
  name: 'relay',
  usage: `usage: lockstep relay

Runs one relay until SIGTERM/SIGINT (graceful: finishes the Kafka transaction, stops the binlog,
releases the leader lock). Configured by the environment only (docs/relay.md), chiefly:
  LOCKSTEP_MYSQL_URL            mysql://user:password@host:port/database (a replication-capable user)
  LOCKSTEP_KAFKA_BROKERS        host:port[,host:port...]
  LOCKSTEP_RELAY_NAME           relay name = transactional id (default "default")
  LOCKSTEP_TOPIC_PREFIX         topic = <prefix>.<aggregate> (default "lockstep")
  LOCKSTEP_RELAY_HTTP_PORT      GET /health and /metrics on this port (default 9464; 0 = off)
Exit codes: 0 stopped by a signal, 1 fatal (the message says how to fix it), 3 fenced by a newer relay.`,
  options: {},
  async run({ env }) {
    const logger = consoleLogger('LockstepRelay');
    const { httpPort, ...options } = relayOptionsFromEnv(env);
    const relay = new Relay({ ...options, logger });
    relay.on('state', (from, to) => logger.log(`state ${from} -> ${to}`));
    const http = httpPort > 0 ? await startRelayHttpServer(relay, httpPort) : null;
    let stopping = false;
    const exitCode = new Promise<number>((resolve) => {
      const shutdown = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        logger.log(`${signal}: stopping gracefully`);
        relay.stop().then(
          () => resolve(0),
          (error: unknown) => {
            logger.error(`shutdown failed: ${(error as Error).message}`);
            resolve(EXIT_FATAL);
          },
        );
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
      relay.closed().catch((error: unknown) => {
        const fenced = error instanceof RelayFencedError;
        // The stable code first, for alerts and log searches; the message carries the fix.
        const code = error instanceof LockstepError ? ` ${error.code}` : '';
        logger.error(fenced ? `FENCED${code}: ${(error as Error).message}` : `fatal${code}: ${(error as Error).message}`);
        stopping = true;
        relay
          .stop()
          .catch(() => undefined)
          .finally(() => resolve(fenced ? EXIT_FENCED : EXIT_FATAL));
      });
    });
    try {
      await relay.start();
    } catch (error) {
      // Preflight failures land here: print the fix and exit non-zero.
      const code = error instanceof LockstepError ? ` ${error.code}` : '';
      logger.error(`cannot start${code}: ${(error as Error).message}`);
      http?.close();
      return EXIT_FATAL;
    }
    logger.log(`relay "${relay.name}" up${http ? `; GET /health and /metrics on :${httpPort}` : ''}`);
    const code = await exitCode;
    http?.close();
    return code;
  },
};
