/**
 * Port: who *should* publish. Guarantees: while `acquire` has returned true and `onLost` (given
 * at creation) has not been called, no other holder of the same lock name exists; when the
 * holder dies, the lock frees itself. The Kafka transactional-id fence decides who *can* publish.
 */
export interface LeaderLock {
  /** Waits for the lock until `shouldStop()` turns true; returns whether it is held. Never throws. */
  acquire(shouldStop: () => boolean): Promise<boolean>;
  /** Releases the lock; never throws. */
  release(): Promise<void>;
}

/** Creates a lock for one leadership term; `onLost` is called at most once, when the lock is no longer held. */
export type LeaderLockFactory = (onLost: (cause: unknown) => void) => LeaderLock;
