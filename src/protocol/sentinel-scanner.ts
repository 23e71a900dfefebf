/**
 * Finds one command's completion sentinel in a byte stream that arrives in chunks split anywhere.
 *
 * Streaming and linear: each byte is looked at a bounded number of times, and at most
 * `marker.length - 1` bytes are held back (a tail that could be the start of the marker).
 * Nothing accumulated is ever re-scanned.
 */
import { SENTINEL_PREFIX } from './command-framing.js';

/** What the scanner makes of one chunk. */
export interface ScanResult {
  /** Bytes that belong to the command (in order). Empty array when none. */
  output: Buffer[];
  /** Set once the sentinel has been read completely. */
  done?: {
    /** The exit code printed after the uuid, or null when the sentinel carried none (stderr's). */
    exitCode: number | null;
    /** The shell left its command loop (the sentinel ended in ` top`): the next command must restart it. */
    topLevel: boolean;
    /** The command ran `exit` (the sentinel ended in ` exit`): the session is over, a fresh bash waits. */
    exited: boolean;
    /** Bytes after the sentinel line, which belong to whatever comes next. */
    rest: Buffer;
  };
}

/** The longest sentinel tail we accept: " " + up to 10 digits, with slack. */
const MAX_TAIL = 16;
const NEWLINE = 0x0a;
const EMPTY = Buffer.alloc(0);

export class SentinelScanner {
  readonly #marker: Buffer;
  #held: Buffer = EMPTY;
  #tail: number[] | undefined;
  #tailOverflowed = false;
  #finished = false;

  /** Scans for `exit task <id>`; the rest of that line (` <code>`) is the exit code. */
  constructor(id: string) {
    this.#marker = Buffer.from(`${SENTINEL_PREFIX}${id}`, 'latin1');
  }

  get isDone(): boolean {
    return this.#finished;
  }

  /**
   * Bytes held back because they might begin the marker. If the stream ends here, they were output.
   */
  flush(): Buffer {
    const held = this.#held;
    this.#held = EMPTY;
    return held;
  }

  push(chunk: Buffer): ScanResult {
    if (this.#finished) throw new Error('SentinelScanner: push() after the sentinel was found');
    if (this.#tail !== undefined) return this.#readTail(chunk, []);

    const data = this.#held.length === 0 ? chunk : Buffer.concat([this.#held, chunk]);
    this.#held = EMPTY;
    const at = data.indexOf(this.#marker);
    if (at !== -1) {
      this.#tail = [];
      const output = at > 0 ? [data.subarray(0, at)] : [];
      return this.#readTail(data.subarray(at + this.#marker.length), output);
    }
    const keep = this.#partialMatchLength(data);
    if (keep > 0) this.#held = Buffer.from(data.subarray(data.length - keep));
    const emitted = data.length - keep;
    return { output: emitted > 0 ? [data.subarray(0, emitted)] : [] };
  }

  /** Length of the longest suffix of `data` that is a proper prefix of the marker. */
  #partialMatchLength(data: Buffer): number {
    const marker = this.#marker;
    const first = marker[0];
    const from = Math.max(0, data.length - marker.length + 1);
    for (let i = from; i < data.length; i++) {
      if (data[i] !== first) continue;
      const len = data.length - i;
      if (data.compare(marker, 0, len, i, data.length) === 0) return len;
    }
    return 0;
  }

  /**
   * Reads the rest of the sentinel line. A tail longer than any exit code cannot be ours intact; it
   * is skipped up to its newline (so the result does not depend on where chunks split) and reported
   * as a null exit code.
   */
  #readTail(data: Buffer, output: Buffer[]): ScanResult {
    const tail = this.#tail as number[];
    const newline = data.indexOf(NEWLINE);
    const end = newline === -1 ? data.length : newline;
    for (let i = 0; i < end && !this.#tailOverflowed; i++) {
      tail.push(data[i] as number);
      if (tail.length > MAX_TAIL) this.#tailOverflowed = true;
    }
    if (newline === -1) return { output };
    this.#finished = true;
    return {
      output,
      done: { ...parseTail(this.#tailOverflowed ? [] : tail), rest: data.subarray(newline + 1) },
    };
  }
}

/**
 * `" 127"` -> 127, `" 1 top"` -> 1 at top level, `" 3 exit"` -> 3 and the shell exited; anything else -> null. (The ready line carries a
 * pid where a command's carries its exit code.)
 */
function parseTail(tail: number[]): { exitCode: number | null; topLevel: boolean; exited: boolean } {
  const match = /^ (\d{1,10})(?: (top|exit))?$/.exec(String.fromCharCode(...tail));
  return { exitCode: match ? Number(match[1]) : null, topLevel: match?.[2] === 'top', exited: match?.[2] === 'exit' };
}
