import { describe, expect, it } from 'vitest';
import { SENTINEL_PREFIX } from '../../src/protocol/command-framing.js';
import { SentinelScanner } from '../../src/protocol/sentinel-scanner.js';
import { mulberry32 } from '../helpers/random.js';

const ID = '3f2b8c1e-9a4d-4e7f-b6a1-0c5d2e8f7a93';
/** Another uuid sharing the first 9 characters with ID, so it walks a long way into the marker. */
const OTHER = '3f2b8c1e-0000-4e7f-b6a1-0c5d2e8f7a93';
const MARKER = Buffer.from(`${SENTINEL_PREFIX}${ID}`, 'latin1');
const bytes = (...parts: (string | Buffer)[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));

/** Longest suffix of `seen` that is a proper prefix of the marker: what the scanner may hold back. */
function pendingPrefix(seen: Buffer): number {
  for (let len = Math.min(seen.length, MARKER.length - 1); len > 0; len--) {
    if (seen.subarray(seen.length - len).equals(MARKER.subarray(0, len))) return len;
  }
  return 0;
}

interface Outcome {
  output: Buffer;
  /** Undefined when the sentinel never completed; then `output` includes `flush()`. */
  done?: { exitCode: number | null; rest: Buffer };
}

/** Cuts `stream` at the given (sorted, distinct) offsets. */
const cut = (stream: Buffer, at: number[]): Buffer[] => [0, ...at].map((from, i) => stream.subarray(from, at[i] ?? stream.length));

/**
 * Feeds chunks as the session does: stop at `done`, and everything after the sentinel line is
 * `done.rest` plus the chunks never pushed. Checks on the way that no empty output buffer is
 * returned and that, until the marker is complete, exactly the pending marker prefix is held back.
 */
function scan(chunks: Buffer[]): Outcome {
  const scanner = new SentinelScanner(ID);
  const seen = Buffer.concat(chunks);
  const markerEnd = seen.indexOf(MARKER) === -1 ? Infinity : seen.indexOf(MARKER) + MARKER.length;
  const output: Buffer[] = [];
  let fed = 0;
  let emitted = 0;
  for (const [i, chunk] of chunks.entries()) {
    const result = scanner.push(chunk);
    fed += chunk.length;
    for (const piece of result.output) {
      if (piece.length === 0) throw new Error('empty output buffer');
      emitted += piece.length;
      output.push(piece);
    }
    if (result.done) {
      if (!scanner.isDone) throw new Error('done without isDone');
      return { output: Buffer.concat(output), done: { ...result.done, rest: bytes(result.done.rest, ...chunks.slice(i + 1)) } };
    }
    if (fed < markerEnd && fed - emitted !== pendingPrefix(seen.subarray(0, fed))) {
      throw new Error(`held back ${fed - emitted} bytes after ${fed}, expected ${pendingPrefix(seen.subarray(0, fed))}`);
    }
  }
  output.push(scanner.flush());
  return { output: Buffer.concat(output) };
}

const same = (a: Outcome, b: Outcome): boolean =>
  a.output.equals(b.output) &&
  (a.done === undefined ? b.done === undefined : b.done !== undefined && a.done.exitCode === b.done.exitCode && a.done.rest.equals(b.done.rest));

/** Every split strategy the brief asks for; returns a description of each split that disagrees. */
function splitFailures(stream: Buffer, expected: Outcome, seed: number): string[] {
  const failures: string[] = [];
  const check = (at: number[]): void => {
    let outcome: Outcome | string;
    try {
      outcome = scan(cut(stream, at));
    } catch (error) {
      outcome = (error as Error).message;
    }
    if (typeof outcome === 'string' || !same(outcome, expected)) {
      failures.push(`cut at [${at.join(',')}]: ${typeof outcome === 'string' ? outcome : JSON.stringify(outcome)}`);
    }
  };
  check([]);
  for (let i = 1; i < stream.length; i++) check([i]);
  if (stream.length <= 160) {
    for (let i = 1; i < stream.length; i++) for (let j = i + 1; j < stream.length; j++) check([i, j]);
  }
  check(Array.from({ length: stream.length - 1 }, (_, i) => i + 1)); // one byte at a time
  const rand = mulberry32(seed);
  for (let n = 0; n < 300; n++) {
    const offsets = new Set<number>();
    const count = 1 + Math.floor(rand() * Math.min(12, stream.length));
    for (let k = 0; k < count; k++) offsets.add(1 + Math.floor(rand() * (stream.length - 1)));
    check([...offsets].sort((a, b) => a - b));
  }
  return failures.slice(0, 5);
}

/** A stream `before` + marker + `tail` + `after`; the command's output is exactly `before`. */
const sentinel = (name: string, before: string | Buffer, tail: string, after: string, exitCode: number | null) => ({
  name,
  stream: bytes(before, MARKER, tail, after),
  expected: { output: bytes(before), done: { exitCode, rest: bytes(after) } } as Outcome,
});
/** A stream with no complete marker: everything is output once flushed. */
const unfinished = (name: string, stream: Buffer) => ({ name, stream, expected: { output: stream } as Outcome });

const CASES = [
  sentinel('lines then the sentinel', 'hello\nworld\n', ' 0\n', '', 0),
  sentinel('output without a final newline', 'abc', ' 0\n', '', 0),
  sentinel('no output at all', '', ' 1\n', '', 1),
  sentinel('bytes after the sentinel line are rest', 'out\n', ' 42\n', 'next one\nexit task x', 42),
  sentinel('three-digit exit code', 'x', ' 255\n', '', 255),
  sentinel("stderr's sentinel carries no code", 'warning: x\n', '\n', 'z', null),
  sentinel("the ready line's pid (7 digits) is read", '', ' 4194303\n', '', 4194303),
  sentinel('an 11-digit number is not a code', '', ' 12345678901\n', '', null),
  sentinel('a non-numeric code is not a code', '', ' x1\n', '', null),
  sentinel('a double space is not a code', '', '  0\n', '', null),
  sentinel('multi-byte UTF-8 right before and after', 'price 5€', ' 3\n', '😀 after', 3),
  sentinel('emoji output without newline', '😀', ' 0\n', '€', 0),
  sentinel('binary bytes and a trailing "e"', Buffer.from([0x00, 0xff, 0x0a, 0xe2, 0x82, 0x65]), ' 0\n', '\u0000', 0),
  sentinel("another uuid's sentinel is output", `exit task ${OTHER} 0\n`, ' 0\n', '', 0),
  sentinel('an unfinished prefix of the marker is output', `exit task ${ID.slice(0, 10)} more text\n${MARKER.subarray(0, -1).toString()}!`, ' 7\n', '', 7),
  sentinel('overlapping false starts', 'eexit exit tas exit task exit task 3f2b8c1e-9', ' 0\n', '', 0),
  sentinel('only the first marker counts', 'a', ' 1\n', `${MARKER.toString()} 2\n`, 1),
  unfinished('no sentinel at all', bytes('just output\nno marker')),
  unfinished('ends with all but the last byte of the marker', bytes('abc', MARKER.subarray(0, -1))),
  unfinished('ends inside "exit task "', bytes('€exit ta')),
  unfinished('another uuid, no line end', bytes(`exit task ${OTHER}`)),
];

describe('SentinelScanner', () => {
  it.each(CASES)('$name: whole stream', ({ stream, expected }) => {
    const outcome = scan([stream]);
    expect(outcome.output.toString('latin1')).toBe(expected.output.toString('latin1'));
    expect(outcome.done?.exitCode).toBe(expected.done?.exitCode);
    expect(outcome.done?.rest.toString('latin1')).toBe(expected.done?.rest.toString('latin1'));
  });

  it.each(CASES.map((c, i) => ({ ...c, seed: i + 1 })))(
    '$name: same result split at every offset, every pair of offsets and at random',
    ({ stream, expected, seed }) => {
      expect(splitFailures(stream, expected, seed)).toEqual([]);
    },
  );

  it('a marker without its line end is not done, and is not output', () => {
    const outcome = scan([bytes('abc', MARKER, ' 0')]);
    expect(outcome.done).toBeUndefined();
    expect(outcome.output.toString()).toBe('abc');
  });

  it('flush() hands back the held bytes once', () => {
    const scanner = new SentinelScanner(ID);
    expect(Buffer.concat(scanner.push(bytes('out exit task 3f')).output).toString()).toBe('out ');
    expect(scanner.flush().toString()).toBe('exit task 3f');
    expect(scanner.flush().length).toBe(0);
  });

  it('returns an empty output array while everything might be the marker, and refuses pushes after done', () => {
    const scanner = new SentinelScanner(ID);
    expect(scanner.isDone).toBe(false);
    expect(scanner.push(MARKER.subarray(0, 20)).output).toEqual([]);
    const result = scanner.push(bytes(MARKER.subarray(20), ' 0\nnext'));
    expect(result.output).toEqual([]);
    expect(result.done?.exitCode).toBe(0);
    expect(result.done?.rest.toString()).toBe('next');
    expect(scanner.isDone).toBe(true);
    expect(scanner.flush().length).toBe(0);
    expect(() => scanner.push(Buffer.from('more'))).toThrow(/after the sentinel/);
  });

  // Known issue (see report): a malformed tail longer than MAX_TAIL ends the scan where the chunk
  // ends, so `rest` depends on how the stream was split. Remove `.fails` once fixed.
  it('an overlong malformed tail gives the same rest however the stream is split', () => {
    const stream = bytes(MARKER, 'x'.repeat(20), '\nREST');
    const whole = scan([stream]);
    expect(whole.done?.rest.toString()).toBe('REST');
    expect(splitFailures(stream, whole, 99)).toEqual([]);
  });

  it('holds back at most marker.length - 1 bytes over 10 MB of near misses in 64 KiB chunks', () => {
    const CHUNK = 64 * 1024;
    const rand = mulberry32(7);
    const chunks: Buffer[] = [];
    for (let n = 0; n < 160; n++) {
      const chunk = Buffer.alloc(CHUNK, 'exit task 3f2b8c1e-9a4d-4e7f-b6a1-0c5d2e8f7a9Z ');
      // Sprinkle non-ASCII bytes (never part of the marker) to vary the near misses.
      for (let k = 0; k < 50; k++) chunk[Math.floor(rand() * CHUNK)] = 0x80 | Math.floor(rand() * 128);
      // End every chunk with a different proper prefix of the marker (0 to 45 bytes).
      MARKER.copy(chunk, CHUNK - (n % MARKER.length), 0, n % MARKER.length);
      chunk[0] = 0x5a; // 'Z' (not in the marker) breaks the previous chunk's prefix
      chunks.push(chunk);
    }
    const scanner = new SentinelScanner(ID);
    let fed = 0;
    let emitted = 0;
    let maxHeld = 0;
    const out: Buffer[] = [];
    for (const chunk of chunks) {
      const result = scanner.push(chunk);
      expect(result.done).toBeUndefined();
      fed += chunk.length;
      for (const piece of result.output) {
        emitted += piece.length;
        out.push(piece);
      }
      expect(fed - emitted).toBe(pendingPrefix(chunk));
      maxHeld = Math.max(maxHeld, fed - emitted);
    }
    expect(maxHeld).toBe(MARKER.length - 1);
    const end = scanner.push(bytes(MARKER, ' 0\n'));
    out.push(...end.output);
    expect(end.done?.exitCode).toBe(0);
    expect(Buffer.concat(out).equals(Buffer.concat(chunks))).toBe(true);
  });
});
