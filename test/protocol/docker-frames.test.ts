import { describe, expect, it } from 'vitest';
import { DockerFrameDecoder, type DockerStreamId } from '../../src/protocol/docker-frames.js';
import { mulberry32 } from '../helpers/random.js';

interface Frame {
  stream: DockerStreamId;
  payload: Buffer;
}
interface Piece {
  stream: DockerStreamId;
  data: string; // hex, so mismatches print readably
}

const frame = (stream: DockerStreamId, payload: string | Buffer): Frame => ({
  stream,
  payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
});

function encode(frames: Frame[]): Buffer {
  return Buffer.concat(
    frames.flatMap(({ stream, payload }) => {
      const header = Buffer.from([stream, 0, 0, 0, 0, 0, 0, 0]);
      header.writeUInt32BE(payload.length, 4);
      return [header, payload];
    }),
  );
}

/** Byte ranges of each frame's payload in the encoded stream, and the set of frame boundaries. */
function layout(frames: Frame[]): { payloads: { stream: DockerStreamId; from: number; to: number }[]; boundaries: Set<number> } {
  const payloads = [];
  const boundaries = new Set([0]);
  let at = 0;
  for (const { stream, payload } of frames) {
    payloads.push({ stream, from: at + 8, to: at + 8 + payload.length });
    at += 8 + payload.length;
    boundaries.add(at);
  }
  return { payloads, boundaries };
}

/**
 * What the decoder must report for `stream` cut at `cuts`: payload is handed on as it arrives, so
 * each chunk yields the non-empty intersection of its byte range with each frame's payload.
 */
function expectedPieces(frames: Frame[], stream: Buffer, cuts: number[]): Piece[] {
  const edges = [0, ...cuts, stream.length];
  const pieces: Piece[] = [];
  for (let c = 0; c + 1 < edges.length; c++) {
    const [a, b] = [edges[c] as number, edges[c + 1] as number];
    for (const p of layout(frames).payloads) {
      const from = Math.max(a, p.from);
      const to = Math.min(b, p.to);
      if (from < to) pieces.push({ stream: p.stream, data: stream.subarray(from, to).toString('hex') });
    }
  }
  return pieces;
}

/** Feeds the cut stream; returns the pieces and, after each push, whether the decoder was at a boundary. */
function decode(stream: Buffer, cuts: number[]): { pieces: Piece[]; atBoundary: boolean[] } {
  const pieces: Piece[] = [];
  const decoder = new DockerFrameDecoder((s, payload) => pieces.push({ stream: s, data: payload.toString('hex') }));
  const edges = [0, ...cuts, stream.length];
  const atBoundary: boolean[] = [];
  for (let c = 0; c + 1 < edges.length; c++) {
    decoder.push(stream.subarray(edges[c], edges[c + 1]));
    atBoundary.push(decoder.isAtBoundary);
  }
  return { pieces, atBoundary };
}

/** Checks one way of cutting; returns a description when it disagrees with the model. */
function mismatch(frames: Frame[], stream: Buffer, cuts: number[]): string | undefined {
  const { pieces, atBoundary } = decode(stream, cuts);
  const { boundaries } = layout(frames);
  const wantBoundary = [...cuts, stream.length].map((at) => boundaries.has(at));
  const same = JSON.stringify(pieces) === JSON.stringify(expectedPieces(frames, stream, cuts)) && JSON.stringify(atBoundary) === JSON.stringify(wantBoundary);
  return same ? undefined : `cuts [${cuts.join(',')}]: ${JSON.stringify({ pieces, atBoundary })}`;
}

function randomCuts(rand: () => number, length: number, maxCount: number): number[] {
  const cuts = new Set<number>();
  const count = Math.floor(rand() * maxCount) + 1;
  for (let i = 0; i < count; i++) cuts.add(1 + Math.floor(rand() * (length - 1)));
  return [...cuts].sort((a, b) => a - b);
}

const CASES: { name: string; frames: Frame[] }[] = [
  { name: 'one stdout frame', frames: [frame(1, 'hello\n')] },
  { name: 'stdout, stderr and engine error frames', frames: [frame(1, 'out'), frame(2, 'err\n'), frame(3, 'engine'), frame(1, '€!')] },
  { name: 'zero-length frames everywhere', frames: [frame(2, ''), frame(1, 'a'), frame(1, ''), frame(3, ''), frame(2, 'b'), frame(1, '')] },
  { name: 'the same stream twice in a row', frames: [frame(2, 'first'), frame(2, 'second')] },
  { name: 'payload that looks like a header', frames: [frame(1, Buffer.from([1, 0, 0, 0, 0, 0, 0, 5, 9, 0xff])), frame(2, Buffer.from([0]))] },
  { name: 'stdin echo (stream 0)', frames: [frame(0, 'typed'), frame(1, 'x')] },
];

describe('DockerFrameDecoder', () => {
  it.each(CASES)('$name: whole stream gives each frame, in order', ({ frames }) => {
    const stream = encode(frames);
    const { pieces, atBoundary } = decode(stream, []);
    const nonEmpty = frames.filter((f) => f.payload.length > 0);
    expect(pieces).toEqual(nonEmpty.map((f) => ({ stream: f.stream, data: f.payload.toString('hex') })));
    expect(atBoundary).toEqual([true]);
  });

  it.each(CASES.map((c, i) => ({ ...c, seed: i + 1 })))('$name: split at every offset, every pair of offsets and at random', ({ frames, seed }) => {
    const stream = encode(frames);
    const failures: (string | undefined)[] = [];
    for (let i = 1; i < stream.length; i++) {
      failures.push(mismatch(frames, stream, [i]));
      for (let j = i + 1; j < stream.length; j++) failures.push(mismatch(frames, stream, [i, j]));
    }
    failures.push(
      mismatch(
        frames,
        stream,
        Array.from({ length: stream.length - 1 }, (_, i) => i + 1),
      ),
    );
    const rand = mulberry32(seed);
    for (let n = 0; n < 300; n++) failures.push(mismatch(frames, stream, randomCuts(rand, stream.length, 10)));
    expect(failures.filter(Boolean).slice(0, 5)).toEqual([]);
  });

  it('passes a 1 MiB frame on unchanged, split at random', () => {
    const rand = mulberry32(42);
    const big = Buffer.from(Array.from({ length: 1 << 20 }, () => Math.floor(rand() * 256)));
    const frames = [frame(1, 'start'), frame(2, big), frame(1, ''), frame(3, 'bye')];
    const stream = encode(frames);
    const failures: (string | undefined)[] = [];
    for (let n = 0; n < 40; n++) failures.push(mismatch(frames, stream, randomCuts(rand, stream.length, 300)));
    // Every cut in and around the headers of the big frame and of the frames after it.
    for (let i = 1; i < 40; i++) failures.push(mismatch(frames, stream, [i, stream.length - i]));
    expect(failures.filter(Boolean).map((f) => f?.slice(0, 200))).toEqual([]);
  });

  it('hands on payload as views of the input, without copying', () => {
    const stream = Buffer.alloc(14); // not from the shared pool, so its ArrayBuffer is its own
    encode([frame(1, 'abcdef')]).copy(stream);
    const views: Buffer[] = [];
    const decoder = new DockerFrameDecoder((_, payload) => views.push(payload));
    decoder.push(stream.subarray(0, 10));
    decoder.push(stream.subarray(10));
    expect(views.map(String)).toEqual(['ab', 'cdef']);
    expect(views.map((v) => [v.buffer === stream.buffer, v.byteOffset])).toEqual([
      [true, 8],
      [true, 10],
    ]);
  });

  it('tracks isAtBoundary through a header split byte by byte', () => {
    const events: string[] = [];
    const decoder = new DockerFrameDecoder((s, p) => events.push(`${s}:${p}`));
    expect(decoder.isAtBoundary).toBe(true);
    const stream = encode([frame(2, 'xy'), frame(1, '')]);
    for (let i = 0; i < 8; i++) {
      decoder.push(stream.subarray(i, i + 1));
      expect(decoder.isAtBoundary).toBe(false); // mid-header, then a header whose payload is due
    }
    decoder.push(stream.subarray(8, 9));
    expect(decoder.isAtBoundary).toBe(false);
    decoder.push(stream.subarray(9, 10));
    expect(decoder.isAtBoundary).toBe(true);
    decoder.push(stream.subarray(10, 17));
    expect(decoder.isAtBoundary).toBe(false);
    decoder.push(stream.subarray(17)); // completes the zero-length frame's header
    expect(decoder.isAtBoundary).toBe(true);
    expect(events).toEqual(['2:x', '2:y']);
  });

  it('reads the size as unsigned 32-bit (frames over 2 GiB)', () => {
    const pieces: Buffer[] = [];
    const decoder = new DockerFrameDecoder((_, p) => pieces.push(p));
    decoder.push(Buffer.concat([Buffer.from([1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]), Buffer.from([1, 0, 0, 0])]));
    // The bytes after the header are payload of the huge frame, not a new header.
    expect(Buffer.concat(pieces)).toEqual(Buffer.from([1, 0, 0, 0]));
    expect(decoder.isAtBoundary).toBe(false);
  });

  it.each([
    { name: 'stream id 4', header: [4, 0, 0, 0, 0, 0, 0, 1] },
    { name: 'stream id 255', header: [255, 0, 0, 0, 0, 0, 0, 0] },
    { name: 'nonzero padding byte 1', header: [1, 1, 0, 0, 0, 0, 0, 1] },
    { name: 'nonzero padding byte 2', header: [1, 0, 1, 0, 0, 0, 0, 1] },
    { name: 'nonzero padding byte 3', header: [2, 0, 0, 0x20, 0, 0, 0, 1] },
    { name: 'plain text (a TTY stream)', header: [...Buffer.from('root@c0:')] },
  ])('throws on an invalid header: $name, even when split, after a valid frame', ({ header }) => {
    const pieces: string[] = [];
    const decoder = new DockerFrameDecoder((s, p) => pieces.push(`${s}:${p}`));
    const stream = Buffer.concat([encode([frame(1, 'ok')]), Buffer.from(header), Buffer.from('zz')]);
    decoder.push(stream.subarray(0, 13)); // the valid frame and half the bad header
    expect(pieces).toEqual(['1:ok']);
    expect(() => decoder.push(stream.subarray(13))).toThrow(/not a Docker multiplexed stream/);
    expect(pieces).toEqual(['1:ok']);
  });
});
