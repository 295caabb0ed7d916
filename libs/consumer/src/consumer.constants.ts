/** Transport id of LockstepServer: `@OnEvent()` handlers bind to it only, so an app that also
 * runs another microservice transport does not get them registered twice. */
export const LOCKSTEP_TRANSPORT = Symbol.for('lockstep:transport');

/** Key of the pattern "extras" where `@OnEvent()` leaves what the transport needs. */
export const LOCKSTEP_HANDLER_EXTRAS = 'lockstepHandler';

export const DEFAULT_PARKED_KEYS_TABLE = 'lockstep_consumer_parked';
export const DEFAULT_DEAD_LETTERS_TABLE = 'lockstep_consumer_dead_letters';
