import { CreateOutbox1764000000000 } from './1764000000000-create-outbox.js';
import { CreateInbox1764000000001 } from './1764000000001-create-inbox.js';
import { CreateRelayCheckpoint1764000000002 } from './1764000000002-create-relay-checkpoint.js';
import { CreateConsumerParking1764000000003 } from './1764000000003-create-consumer-parking.js';

/** Every Lockstep migration, in order. Add them to your DataSource's `migrations`. */
export const lockstepMigrations = [CreateOutbox1764000000000, CreateInbox1764000000001, CreateRelayCheckpoint1764000000002, CreateConsumerParking1764000000003];
