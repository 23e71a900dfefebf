import { describe, expect, it } from 'vitest';
import { encodeRelayFrame, MAX_PAYLOAD, RelayFrameDecoder, RelayFrameType, u16Payload, u32Payload, type RelayFrame } from '../../src/protocol/relay-frames.js';
import { mulberry32 } from '../helpers/random.js';

/** A frame as the test compares it: hex payload, so mismatches print readably. */
interface Seen {
  type: number;
  stream: number;
  payload: string;
}

const seen = ({ type, stream, payload }: RelayFrame): Seen => ({ type, stream, payload: Buffer.from(payload).toString('hex') });

/**
 * DATA may come out in pieces (as it arrives) and an empty DATA not at all: the model joins the
 * adjacent DATA of one stream and drops empty ones, on both sides of a comparison.
 */
function joined(frames: Seen[]): Seen[] {
  const out: Seen[] = [];
  for (const frame of frames) {
    const last = out.at(-1);
    if (frame.type === RelayFrameType.data && frame.payload === '') continue;
    if (frame.type === RelayFrameType.data && last?.type === RelayFrameType.data && last.stream === frame.stream) last.payload += frame.payload;
    else out.push({ ...frame });
  }
  return out;
}

const SAMPLE: RelayFrame[] = [
  { type: RelayFrameType.hello, stream: 0, payload: Buffer.alloc(0) },
  { type: RelayFrameType.open, stream: 1, payload: u16Payload(8080) },
  { type: RelayFrameType.data, stream: 1, payload: Buffer.from('GET / HTTP/1.1\r\n\r\n') },
  { type: RelayFrameType.data, stream: 2, payload: Buffer.alloc(0) },
  { type: RelayFrameType.data, stream: 1, payload: Buffer.from('more') },
  { type: RelayFrameType.credit, stream: 0xfffffffe, payload: u32Payload(0xdeadbeef) },
  { type: RelayFrameType.fin, stream: 1, payload: Buffer.alloc(0) },
  { type: RelayFrameType.close, stream: 7, payload: Buffer.from('refused') },
  { type: RelayFrameType.opened, stream: 2, payload: Buffer.alloc(0) },
];

function decodeCut(bytes: Buffer, cuts: number[]): { frames: Seen[]; atBoundary: boolean[] } {
  const frames: Seen[] = [];
  const decoder = new RelayFrameDecoder((frame) => frames.push(seen(frame)));
  const edges = [0, ...cuts, bytes.length];
  const atBoundary: boolean[] = [];
  for (let c = 0; c + 1 < edges.length; c++) {
    const count = frames.length;
    decoder.push(bytes.subarray(edges[c], edges[c + 1]));
    // Each DATA piece is a slice of this chunk: never longer than it.
    for (const frame of frames.slice(count))
      if (frame.type === RelayFrameType.data) expect(frame.payload.length / 2).toBeLessThanOrEqual(edges[c + 1]! - edges[c]!);
    atBoundary.push(decoder.isAtBoundary);
  }
  return { frames: joined(frames), atBoundary };
}

/** Offsets where a frame ends in the encoded stream. */
function boundaries(frames: RelayFrame[]): Set<number> {
  const ends = new Set([0]);
  let at = 0;
  for (const frame of frames) ends.add((at += 9 + frame.payload.length));
  return ends;
}

describe('relay frames', () => {
  const bytes = Buffer.concat(SAMPLE.map((f) => encodeRelayFrame(f.type, f.stream, f.payload)));
  const want = joined(SAMPLE.map(seen));

  it('encodes the header as [type u8][stream u32 BE][length u32 BE]', () => {
    expect(encodeRelayFrame(RelayFrameType.data, 0x01020304, Buffer.from('hi')).toString('hex')).toBe('02010203040000000268' + '69');
    expect(u16Payload(8080).readUInt16BE(0)).toBe(8080);
  });

  it('decodes the same frames whole, and cut once at every offset', () => {
    expect(decodeCut(bytes, []).frames).toEqual(want);
    const ends = boundaries(SAMPLE);
    for (let at = 0; at <= bytes.length; at++) {
      const { frames, atBoundary } = decodeCut(bytes, [at]);
      expect(frames, `cut at ${at}`).toEqual(want);
      expect(atBoundary[0], `boundary after ${at}`).toBe(ends.has(at));
    }
  });

  it('decodes the same frames cut twice at every pair of offsets, and byte by byte', () => {
    for (let a = 0; a <= bytes.length; a++) {
      for (let b = a; b <= bytes.length; b++) expect(decodeCut(bytes, [a, b]).frames, `cuts ${a},${b}`).toEqual(want);
    }
    expect(
      decodeCut(
        bytes,
        Array.from({ length: bytes.length - 1 }, (_, i) => i + 1),
      ).frames,
    ).toEqual(want);
  });

  it('decodes random streams of large frames cut at random offsets', () => {
    const random = mulberry32(12);
    for (let round = 0; round < 50; round++) {
      const frames: RelayFrame[] = Array.from({ length: 1 + Math.floor(random() * 6) }, () => {
        const payload = Buffer.alloc(Math.floor(random() * random() * MAX_PAYLOAD));
        for (let i = 0; i < payload.length; i += 997) payload[i] = Math.floor(random() * 256);
        return { type: RelayFrameType.data, stream: Math.floor(random() * 2 ** 32), payload };
      });
      const stream = Buffer.concat(frames.map((f) => encodeRelayFrame(f.type, f.stream, f.payload)));
      const cuts = Array.from({ length: Math.floor(random() * 20) }, () => Math.floor(random() * stream.length)).sort((x, y) => x - y);
      const decoded = decodeCut(stream, cuts);
      expect(decoded.frames).toEqual(joined(frames.map(seen)));
      expect(decoded.atBoundary.at(-1)).toBe(true);
    }
  });

  it('rejects an unknown type and a length beyond the largest payload', () => {
    const unknown = encodeRelayFrame(RelayFrameType.data, 1, Buffer.from('x'));
    unknown[0] = 99;
    expect(() => new RelayFrameDecoder(() => {}).push(unknown)).toThrow(/not a relay frame/);
    const huge = encodeRelayFrame(RelayFrameType.data, 1);
    huge.writeUInt32BE(MAX_PAYLOAD + 1, 5);
    expect(() => new RelayFrameDecoder(() => {}).push(huge)).toThrow(/not a relay frame/);
  });
});
