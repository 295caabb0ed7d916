import { randomBytes } from 'node:crypto';

/** A UUIDv7 as its 16 bytes: the first 48 bits are the Unix time in ms, so ids sort by time
 * and InnoDB appends to the primary key instead of splitting pages. */
export type EventIdBytes = Buffer & { readonly __brand: 'EventIdBytes' };

let lastMs = 0;
let sequence = 0;

/** RFC 9562 UUIDv7 with a 12-bit counter in `rand_a` so ids made in the same millisecond
 * by this process still sort in creation order. */
export function uuidv7Bytes(now: number = Date.now()): EventIdBytes {
  if (now <= lastMs) {
    sequence = (sequence + 1) & 0xfff;
    if (sequence === 0) lastMs += 1; // counter wrapped: borrow the next millisecond
    now = lastMs;
  } else {
    lastMs = now;
    sequence = randomBytes(2).readUInt16BE(0) & 0x3ff; // leave head-room for the counter
  }
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  return bytes as EventIdBytes;
}

export function uuidToString(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function uuidToBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new TypeError(`not a UUID: ${uuid}`);
  return Buffer.from(hex, 'hex');
}

export function uuidv7(): string {
  return uuidToString(uuidv7Bytes());
}
