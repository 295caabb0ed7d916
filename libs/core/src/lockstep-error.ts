/**
 * Base of every error Lockstep throws on purpose. `code` is stable (match on it, not on the
 * message); `hint` tells the operator how to fix the problem; `retriable` says whether trying
 * the same thing again can succeed.
 */
export class LockstepError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown; retriable?: boolean },
  ) {
    super(hint ? `${message}\n  How to fix: ${hint}` : message, { cause: options?.cause });
    this.name = new.target.name;
    this.retriable = options?.retriable ?? false;
  }

  readonly retriable: boolean;
}
