/**
 * The CLI's progress output, fed the library's pull events: plain lines when stderr is not a
 * terminal, per-layer bars (cli-progress) when it is, nothing with --quiet. No Docker.
 */
import { PassThrough } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { PullEvent } from '../../src/docker/images.js';
import { formatBytes, formatDuration, parseDuration, parseTransfer } from '../../src/cli/parse.js';
import { Progress } from '../../src/cli/progress.js';

/** A stream that records what is written, and says whether it is a terminal. */
function sink(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  Object.assign(stream, { isTTY, columns: 120, rows: 40, cursorTo: () => true, moveCursor: () => true, clearLine: () => true, clearScreenDown: () => true });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

const MiB = 1024 * 1024;
const PULL: PullEvent[] = [
  { type: 'status', message: '1: Pulling from ds-test/tiny' },
  { type: 'layer', id: 'aaaa11112222', status: 'Pulling fs layer', currentBytes: 0, totalBytes: undefined },
  { type: 'layer', id: 'bbbb33334444', status: 'Pulling fs layer', currentBytes: 0, totalBytes: undefined },
  { type: 'layer', id: 'aaaa11112222', status: 'Downloading', currentBytes: 512 * 1024, totalBytes: 2 * MiB },
  { type: 'layer', id: 'aaaa11112222', status: 'Downloading', currentBytes: MiB, totalBytes: 2 * MiB },
  { type: 'layer', id: 'bbbb33334444', status: 'Downloading', currentBytes: 100, totalBytes: 300 },
  { type: 'layer', id: 'aaaa11112222', status: 'Download complete', currentBytes: 2 * MiB, totalBytes: 2 * MiB },
  { type: 'layer', id: 'bbbb33334444', status: 'Download complete', currentBytes: 300, totalBytes: 300 },
  { type: 'layer', id: 'aaaa11112222', status: 'Pull complete', currentBytes: 2 * MiB, totalBytes: 2 * MiB },
  { type: 'layer', id: 'bbbb33334444', status: 'Pull complete', currentBytes: 300, totalBytes: 300 },
  { type: 'status', message: 'Digest: sha256:0123' },
];

describe('pull progress', () => {
  it('elsewhere than a terminal: a line per status message and per layer status change, not per byte', async () => {
    const { stream, text } = sink(false);
    const display = (await Progress.create({ stream })).pull('127.0.0.1:5000/ds-test/tiny:1');
    for (const event of PULL) display.onProgress(event);
    display.stop();
    const prefix = 'docker-shell: pull 127.0.0.1:5000/ds-test/tiny:1:';
    expect(stripVTControlCharacters(text()).split('\n')).toEqual([
      `${prefix} 1: Pulling from ds-test/tiny`,
      `${prefix} layer aaaa11112222 Pulling fs layer`,
      `${prefix} layer bbbb33334444 Pulling fs layer`,
      `${prefix} layer aaaa11112222 Downloading (2.0 MiB)`,
      `${prefix} layer bbbb33334444 Downloading (300 B)`,
      `${prefix} layer aaaa11112222 Download complete (2.0 MiB)`,
      `${prefix} layer bbbb33334444 Download complete (300 B)`,
      `${prefix} layer aaaa11112222 Pull complete (2.0 MiB)`,
      `${prefix} layer bbbb33334444 Pull complete (300 B)`,
      `${prefix} Digest: sha256:0123`,
      '',
    ]);
  });

  it('on a terminal: a bar per layer with its status and bytes, left in its final state', async () => {
    const { stream, text } = sink(true);
    const progress = await Progress.create({ stream });
    expect(progress.interactive).toBe(true);
    const display = progress.pull('ds-test/tiny:1');
    for (const event of PULL) display.onProgress(event);
    display.stop();
    const screen = stripVTControlCharacters(text());
    expect(screen).toContain('pulling ds-test/tiny:1');
    expect(screen).toMatch(/aaaa11112222 \[█+\] Pull complete\s+2\.0 MiB\/2\.0 MiB/);
    expect(screen).toMatch(/bbbb33334444 \[█+\] Pull complete\s+300 B\/300 B/);
    expect(screen).toContain('Digest: sha256:0123');
  });

  it('draws nothing when nothing is pulled, and nothing at all with --quiet', async () => {
    const terminal = sink(true);
    (await Progress.create({ stream: terminal.stream })).pull('present:1').stop();
    expect(terminal.text()).toBe('');
    const quiet = sink(true);
    const display = (await Progress.create({ stream: quiet.stream, quiet: true })).pull('x:1');
    for (const event of PULL) display.onProgress(event);
    display.stop();
    expect(quiet.text()).toBe('');
  });
});

describe('option values and figures', () => {
  it.each([
    ['1500', 1500],
    ['1500ms', 1500],
    ['30s', 30_000],
    ['1.5s', 1500],
    ['5m', 300_000],
    ['5min', 300_000],
    ['1h', 3_600_000],
    ['none', Infinity],
  ])('duration %s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '0', '-1s', '5 parsecs', '1d', 's'])('duration %j is refused', (text) => {
    expect(() => parseDuration(text)).toThrow('Expected a duration');
  });

  it('refuses a duration longer than a Node timer can wait, saying the limit', () => {
    expect(parseDuration('596h')).toBe(596 * 3_600_000);
    expect(() => parseDuration('1000h')).toThrow('Expected at most 2147483647 ms (about 24 days), or none.');
  });

  it('splits FROM:TO at the first colon; a bare path keeps its base name on the other side', () => {
    expect(parseTransfer('a.txt:dir/b.txt')).toEqual({ from: 'a.txt', to: 'dir/b.txt' });
    expect(parseTransfer('a:b:c')).toEqual({ from: 'a', to: 'b:c' });
    expect(parseTransfer('./out/report.pdf')).toEqual({ from: './out/report.pdf', to: 'report.pdf' });
    expect(() => parseTransfer('a:')).toThrow('Expected FROM:TO');
  });

  it('formats durations and sizes for people', () => {
    expect([0.42, 12.4, 999, 1240, 59_000, 125_000].map(formatDuration)).toEqual(['0.4 ms', '12 ms', '999 ms', '1.24 s', '59.00 s', '2 min 05 s']);
    expect([0, 1023, 1024, 1536, 5 * 1024 ** 3].map(formatBytes)).toEqual(['0 B', '1023 B', '1.0 KiB', '1.5 KiB', '5.0 GiB']);
  });
});
