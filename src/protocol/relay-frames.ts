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

/** One frame's header alone, for a writer that sends the payload after it without copying it. */
export function encodeRelayHeader(type: RelayFrameType, stream: number, length: number): Buffer {
  const header = Buffer.allocUnsafe(HEADER_SIZE);
  header[0] = type;
  header.writeUInt32BE(stream, 1);
  header.writeUInt32BE(length, 5);
  return header;
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
 * Splits a byte stream into frames, however it is cut. DATA is handed on as it arrives, as slices
 * of the input (no copy): one DATA frame cut across chunks comes out as several DATA pieces of the
 * same stream, in order. Every other frame is small and comes out whole.
 */
export class RelayFrameDecoder {
  readonly #onFrame: (frame: RelayFrame) => void;
  readonly #header = Buffer.alloc(HEADER_SIZE);
  #headerFill = 0;
  #type: RelayFrameType = RelayFrameType.data;
  #stream = 0;
  /** Payload bytes of the current frame still to come. */
  #remaining = 0;
  /** The pieces of a control frame's payload seen so far. */
  #control: Buffer[] = [];

  constructor(onFrame: (frame: RelayFrame) => void) {
    this.#onFrame = onFrame;
  }

  /** True when the input so far ended exactly on a frame boundary. */
  get isAtBoundary(): boolean {
    return this.#headerFill === 0 && this.#remaining === 0;
  }

  /** @throws Error on an unknown type or an oversized length: the stream is not ours or is corrupt. */
  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, chunk.length - offset);
        const piece = chunk.subarray(offset, offset + take);
        this.#remaining -= take;
        offset += take;
        if (this.#type === RelayFrameType.data) this.#onFrame({ type: this.#type, stream: this.#stream, payload: piece });
        else {
          this.#control.push(piece);
          if (this.#remaining === 0) this.#emitControl();
        }
        continue;
      }
      const take = Math.min(HEADER_SIZE - this.#headerFill, chunk.length - offset);
      chunk.copy(this.#header, this.#headerFill, offset, offset + take);
      this.#headerFill += take;
      offset += take;
      if (this.#headerFill < HEADER_SIZE) return;
      this.#headerFill = 0;
      const type = this.#header[0] as number;
      const length = this.#header.readUInt32BE(5);
      if (!KNOWN_TYPES.has(type) || length > MAX_PAYLOAD) throw new Error(`not a relay frame: header ${this.#header.toString('hex')}`);
      this.#type = type as RelayFrameType;
      this.#stream = this.#header.readUInt32BE(1);
      this.#remaining = length;
      // An empty frame is whole at once; an empty DATA carries nothing and is dropped.
      if (length === 0 && type !== RelayFrameType.data) this.#emitControl();
    }
  }

  #emitControl(): void {
    const payload = this.#control.length === 1 ? (this.#control[0] as Buffer) : Buffer.concat(this.#control);
    this.#control = [];
    this.#onFrame({ type: this.#type, stream: this.#stream, payload });
  }
}
