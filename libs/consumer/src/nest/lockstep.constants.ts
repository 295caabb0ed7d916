/** Transport id of LockstepServer: `@LockstepHandler()` methods bind to it only, so an app that
 * also runs another microservice transport does not get them registered twice. */
export const LOCKSTEP_TRANSPORT = Symbol.for('lockstep:transport');

/** Key of the pattern "extras" where `@LockstepHandler()` leaves what the transport needs. */
export const LOCKSTEP_HANDLER_EXTRAS = 'lockstepHandler';
