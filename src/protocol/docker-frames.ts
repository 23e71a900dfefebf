/**
 * Decoder for Docker's multiplexed attach stream (no TTY): frames of an 8-byte header
 * `[stream, 0, 0, 0, size (uint32 big-endian)]` followed by `size` bytes of payload.
 *
 * Payload is handed on as it arrives (slices of the input, no copy), not when its frame is complete,
 * so a 1 GiB frame costs no memory here and live output stays live.
 */

/** Docker's stream ids: 0 stdin (echoed only with a TTY), 1 stdout, 2 stderr, 3 the engine's own errors. */
export type DockerStreamId = 0 | 1 | 2 | 3;

export type FrameListener = (stream: DockerStreamId, payload: Buffer) => void;

const HEADER_SIZE = 8;

export class DockerFrameDecoder {
  readonly #onPayload: FrameListener;
  readonly #header = Buffer.alloc(HEADER_SIZE);
  #headerFill = 0;
  #remaining = 0;
  #stream: DockerStreamId = 1;

  constructor(onPayload: FrameListener) {
    this.#onPayload = onPayload;
  }

  /** True when the input so far ended exactly on a frame boundary. */
  get isAtBoundary(): boolean {
    return this.#headerFill === 0 && this.#remaining === 0;
  }

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, chunk.length - offset);
        this.#remaining -= take;
        this.#onPayload(this.#stream, chunk.subarray(offset, offset + take));
        offset += take;
        continue;
      }
      const take = Math.min(HEADER_SIZE - this.#headerFill, chunk.length - offset);
      chunk.copy(this.#header, this.#headerFill, offset, offset + take);
      this.#headerFill += take;
      offset += take;
      if (this.#headerFill < HEADER_SIZE) return;
      this.#headerFill = 0;
      const id = this.#header[0] as number;
      if (id > 3 || this.#header[1] !== 0 || this.#header[2] !== 0 || this.#header[3] !== 0) {
        throw new Error(`not a Docker multiplexed stream: header ${this.#header.toString('hex')}`);
      }
      this.#stream = id as DockerStreamId;
      this.#remaining = this.#header.readUInt32BE(4);
    }
  }
}
