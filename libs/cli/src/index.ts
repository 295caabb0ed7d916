// The `lockstep` command is ./main.js (package.json "bin"). These are for programs that drive
// the same steps themselves, e.g. a test that migrates a database or starts a relay from env.
export { lockstepMigrations, LOCKSTEP_MIGRATIONS_TABLE } from './commands/migrate.command.js';
export { relayOptionsFromEnv } from './commands/relay-env.js';
