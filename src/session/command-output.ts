/**
 * Collects one command's output as it arrives and turns it into the text fields of its result.
 *
 * Memory is bounded by `maxBytes`: the first half is kept as it comes, then only the latest half
 * (a sliding tail); what falls between is counted and dropped, never buffered. Bytes are kept raw
 * and decoded once at the end, each stream with its own decoder, so a UTF-8 character split
 * between chunks (or interleaved with the other stream) decodes whole.
 */
import { StringDecoder } from 'node:string_decoder';
import stripAnsi from 'strip-ansi';
import type { OutputChunk, RunOptions } from './command-result.js';

export type StreamName = OutputChunk['type'];

/** Default cap on the output one command's result keeps: 16 MiB. */
export const DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

export interface CollectedOutput {
  stdout: string;
  stderr: string;
  output: string;
  truncated: boolean;
  droppedBytes: number;
}

export class CommandOutput {
  readonly #head: OutputChunk[] = [];
  readonly #tail: OutputChunk[] = [];
  readonly #headBudget: number;
  readonly #tailBudget: number;
  #headBytes = 0;
  #tailBytes = 0;
  readonly #dropped = { stdout: 0, stderr: 0 };
  readonly #live: { stdout?: StringDecoder; stderr?: StringDecoder } = {};
  readonly #options: RunOptions;
  readonly #onChunk: ((chunk: OutputChunk) => void) | undefined;

  constructor(options: RunOptions, onChunk?: (chunk: OutputChunk) => void) {
    this.#options = options;
    this.#onChunk = onChunk;
    const max = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    this.#headBudget = Math.ceil(max / 2);
    this.#tailBudget = max - this.#headBudget;
  }

  add(type: StreamName, data: Buffer): void {
    this.#onChunk?.({ type, data });
    const callback = type === 'stdout' ? this.#options.onStdout : this.#options.onStderr;
    if (callback) {
      const decoder = (this.#live[type] ??= new StringDecoder('utf8'));
      const text = decoder.write(data);
      if (text) callback(text);
    }
    this.#keep(type, data);
  }

  #keep(type: StreamName, data: Buffer): void {
    const room = this.#headBudget - this.#headBytes;
    if (room > 0) {
      const head = data.length <= room ? data : data.subarray(0, room);
      this.#head.push({ type, data: head });
      this.#headBytes += head.length;
      if (head.length === data.length) return;
      data = data.subarray(room);
    }
    this.#tail.push({ type, data });
    this.#tailBytes += data.length;
    while (this.#tailBytes > this.#tailBudget) {
      const first = this.#tail[0] as OutputChunk;
      const excess = this.#tailBytes - this.#tailBudget;
      const cut = Math.min(excess, first.data.length);
      this.#dropped[first.type] += cut;
      this.#tailBytes -= cut;
      if (cut === first.data.length) this.#tail.shift();
      else first.data = first.data.subarray(cut);
    }
  }

  /** The text fields of the result, with a marker where output was dropped. */
  collect(): CollectedOutput {
    const droppedBytes = this.#dropped.stdout + this.#dropped.stderr;
    if (this.#head.length === 0 && this.#tail.length === 0) {
      return { stdout: '', stderr: '', output: '', truncated: droppedBytes > 0, droppedBytes };
    }
    const clean = this.#options.stripAnsi === false ? (s: string) => s : stripAnsi;
    const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
    const parts = { stdout: [] as string[], stderr: [] as string[] };
    const output: string[] = [];
    const append = ({ type, data }: OutputChunk) => {
      const text = decoders[type].write(data);
      parts[type].push(text);
      output.push(text);
    };
    this.#head.forEach(append);
    if (droppedBytes > 0) {
      for (const type of ['stdout', 'stderr'] as const) {
        if (this.#dropped[type] > 0) parts[type].push(decoders[type].end(), droppedMarker(this.#dropped[type]));
      }
      output.push(droppedMarker(droppedBytes));
    }
    this.#tail.forEach(append);
    for (const type of ['stdout', 'stderr'] as const) {
      const rest = decoders[type].end();
      parts[type].push(rest);
      output.push(rest);
    }
    return {
      stdout: clean(parts.stdout.join('')),
      stderr: clean(parts.stderr.join('')),
      output: clean(output.join('')),
      truncated: droppedBytes > 0,
      droppedBytes,
    };
  }
}

function droppedMarker(bytes: number): string {
  return `\n[docker-shell: ${bytes} bytes of output dropped here (maxOutputBytes)]\n`;
}
