/** Wraps what a handler threw, to tell it apart from a failure of Lockstep's own SQL or the
 * connection inside the same transaction: only the handler's failures count as attempts. */
export class HandlerFailure extends Error {
  constructor(readonly original: unknown) {
    super('handler failed', { cause: original });
  }
}

/** What actually went wrong: the handler's own error, or Lockstep's. */
export const failureCause = (error: unknown): unknown => (error instanceof HandlerFailure ? error.original : error);
