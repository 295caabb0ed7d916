/**
 * The relay's life cycle as an explicit state machine (kafkajs eosManager style): every change
 * goes through `transition`, which refuses moves the design does not allow.
 */
export type RelayState =
  | 'idle' // constructed
  | 'standby' // waiting for the leader lock
  | 'starting' // leader: connecting producer, reading checkpoint, opening the binlog
  | 'publishing' // leader: streaming
  | 'recovering' // leader: a stream or Kafka error, restarting from the last committed checkpoint
  | 'stopping'
  | 'stopped'
  | 'fenced' // terminal: another relay owns the transactional id
  | 'failed'; // terminal: a fatal error (purged binlog, preflight)

const ALLOWED: Record<RelayState, readonly RelayState[]> = {
  idle: ['standby', 'stopping', 'failed'],
  standby: ['starting', 'stopping', 'failed'],
  starting: ['publishing', 'recovering', 'standby', 'stopping', 'fenced', 'failed'],
  publishing: ['recovering', 'standby', 'stopping', 'fenced', 'failed'],
  recovering: ['starting', 'standby', 'stopping', 'fenced', 'failed'],
  stopping: ['stopped'],
  stopped: [],
  fenced: ['stopping', 'stopped'],
  failed: ['stopping', 'stopped'],
};

export class RelayStateMachine {
  private current: RelayState = 'idle';

  constructor(private readonly onChange: (from: RelayState, to: RelayState) => void = () => undefined) {}

  get state(): RelayState {
    return this.current;
  }

  can(to: RelayState): boolean {
    return ALLOWED[this.current].includes(to);
  }

  transition(to: RelayState): void {
    if (this.current === to) return;
    if (!this.can(to)) throw new Error(`relay state: ${this.current} -> ${to} is not allowed`);
    const from = this.current;
    this.current = to;
    this.onChange(from, to);
  }
}
