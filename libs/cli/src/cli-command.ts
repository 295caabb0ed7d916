import type { ParseArgsConfig } from 'node:util';

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** What a command's `run` receives: parsed flags, positionals and the environment (the CLI is the one place that reads it). */
export interface CommandInput {
  readonly values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
  readonly positionals: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

/** One `lockstep <name>` command. Flags are parsed by `node:util` parseArgs (strict): an unknown flag prints the usage and exits 2. */
export interface CliCommand {
  readonly name: string;
  /** The full text of `lockstep <name> --help`. */
  readonly usage: string;
  readonly options: ParseArgsOptionsConfig;
  readonly allowPositionals?: boolean;
  /** Resolves with the process exit code. */
  run(input: CommandInput): Promise<number>;
}

/** A usage mistake (missing or conflicting flags): the CLI prints it with the usage and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
