import { IllegalRelayTransitionError } from './relay.errors.js';

/**
 * The relay's life cycle as an explicit state machine (kafkajs eosManager style): every change
 * goes through `transition`, which throws IllegalRelayTransitionError for a move the table does
 * not allow, a move to the state it is already in included. Callers never ask first: each
 * transition has one owner in the code that knows the state it starts from, so an illegal one is
 * a bug to see, not a case to skip.
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

  /** True in `stopped`, `fenced` and `failed`: the relay does no more work. */
  get isTerminal(): boolean {
    return this.current === 'stopped' || this.current === 'fenced' || this.current === 'failed';
  }

  /** Moves to `to` and reports it; throws IllegalRelayTransitionError (a bug) when the table does not allow the move. */
  transition(to: RelayState): void {
    if (!ALLOWED[this.current].includes(to)) throw new IllegalRelayTransitionError(this.current, to);
    const from = this.current;
    this.current = to;
    this.onChange(from, to);
  }
}
