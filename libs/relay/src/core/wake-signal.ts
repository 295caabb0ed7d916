/**
 * Wakes the relay's loops early: a wait ends after its time or at the next `notify()` (a binlog
 * transaction arrived, the source failed, stop was asked for, the leader lock was lost).
 */
export class WakeSignal {
  private waiters: (() => void)[] = [];

  notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.waiters.push(done);
    });
  }
}
