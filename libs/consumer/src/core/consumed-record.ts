/** A Kafka record as the record source hands it over: no client library's types. */
export interface ConsumedRecord {
  topic: string;
  partition: number;
  /** Kafka offset, as a string (offsets are 64-bit). */
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  /** Headers as strings (a repeated header keeps its last value). */
  headers: Record<string, string>;
}

/** An event class (`@OutboxEvent()`), as the decoder instantiates it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- class-transformer's ClassConstructor shape
export type EventClass<T extends object = object> = new (...args: any[]) => T;
