/**
 * The frames a port forward's relay and the host exchange over one exec's stdin/stdout: many TCP
 * connections multiplexed on one byte stream. Each frame is `[type u8][stream u32 BE][length u32 BE]`
 * followed by `length` bytes. Pure: no I/O.
 *
 * Per stream, in each direction: OPEN (host only: connect to the port in the payload, u16 BE),
 * OPENED (relay only: connected), DATA, FIN (no more data this way: a half-close), CLOSE (the
 * stream is gone both ways; the payload says why, e.g. `refused`) and CREDIT (the receiver wrote
 * `u32 BE` more bytes on, so the sender may send that many more: flow control per stream, so a slow
 * reader holds back only its own stream). HELLO (relay, stream 0) says the relay runs.
 */

export const RelayFrameType = {
  open: 1,
  data: 2,
  fin: 3,
  close: 4,
  credit: 5,
  opened: 6,
  hello: 7,
} as const;

export type RelayFrameType = (typeof RelayFrameType)[keyof typeof RelayFrameType];

export interface RelayFrame {
  type: RelayFrameType;
  stream: number;
  payload: Buffer;
}

/** Bytes a sender may have in flight on one stream before the receiver grants credit. */
export const INITIAL_WINDOW = 1024 * 1024;

/** The largest payload either side sends; a bigger length is a corrupt stream. */
export const MAX_PAYLOAD = 256 * 1024;

const HEADER_SIZE = 9;
const KNOWN_TYPES = new Set<number>(Object.values(RelayFrameType));

/** One frame's bytes. */
export function encodeRelayFrame(type: RelayFrameType, stream: number, payload: Uint8Array = EMPTY): Buffer {
  const frame = Buffer.allocUnsafe(HEADER_SIZE + payload.length);
  frame[0] = type;
  frame.writeUInt32BE(stream, 1);
  frame.writeUInt32BE(payload.length, 5);
  frame.set(payload, HEADER_SIZE);
  return frame;
}

/** A u32 payload (CREDIT's byte count). */
export function u32Payload(value: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(value, 0);
  return payload;
}

/** A u16 payload (OPEN's port). */
export function u16Payload(value: number): Buffer {
  const payload = Buffer.allocUnsafe(2);
  payload.writeUInt16BE(value, 0);
  return payload;
}

const EMPTY = Buffer.alloc(0);

/**
 * Splits a byte stream into frames, however it is cut. A frame whose payload is inside one chunk
 * is handed on as a slice of it (no copy); one cut across chunks is gathered first.
 */
export class RelayFrameDecoder {
  readonly #onFrame: (frame: RelayFrame) => void;
  #pending: Buffer = EMPTY;

  constructor(onFrame: (frame: RelayFrame) => void) {
    this.#onFrame = onFrame;
  }

  /** True when the input so far ended exactly on a frame boundary. */
  get isAtBoundary(): boolean {
    return this.#pending.length === 0;
  }

  /** @throws Error on an unknown type or an oversized length: the stream is not ours or is corrupt. */
  push(chunk: Buffer): void {
    let input = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
    let offset = 0;
    while (input.length - offset >= HEADER_SIZE) {
      const type = input[offset] as number;
      const length = input.readUInt32BE(offset + 5);
      if (!KNOWN_TYPES.has(type) || length > MAX_PAYLOAD) {
        throw new Error(`not a relay frame: header ${input.subarray(offset, offset + HEADER_SIZE).toString('hex')}`);
      }
      const end = offset + HEADER_SIZE + length;
      if (end > input.length) break;
      const stream = input.readUInt32BE(offset + 1);
      this.#onFrame({ type: type as RelayFrameType, stream, payload: input.subarray(offset + HEADER_SIZE, end) });
      offset = end;
    }
    // Keep only the unfinished frame; a copy, so the caller's chunk is not pinned.
    input = input.subarray(offset);
    this.#pending = input.length > 0 ? Buffer.from(input) : EMPTY;
  }
}
