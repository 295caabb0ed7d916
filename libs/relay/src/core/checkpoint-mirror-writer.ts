import type { CheckpointMirror } from '../ports/checkpoint-mirror.js';
import type { RelayCheckpoint } from './relay-checkpoint.js';

/**
 * Writes committed checkpoints to the mirror in the background, newest wins: the mirror must
 * never slow down or block publishing. A failed write is reported and skipped.
 */
export class CheckpointMirrorWriter {
  private busy = false;
  private pending: RelayCheckpoint | null = null;

  constructor(
    private mirror: CheckpointMirror | null,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  /** Fire-and-forget. */
  write(checkpoint: RelayCheckpoint): void {
    if (!this.mirror) return;
    this.pending = checkpoint;
    if (this.busy) return;
    this.busy = true;
    void (async () => {
      while (this.pending && this.mirror) {
        const next = this.pending;
        this.pending = null;
        try {
          await this.mirror.write(next);
        } catch (error) {
          this.onFailure(error);
        }
      }
      this.busy = false;
    })();
  }

  async close(): Promise<void> {
    const mirror = this.mirror;
    this.mirror = null;
    await mirror?.close();
  }
}
