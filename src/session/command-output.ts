/**
 * Collects one command's output as it arrives and turns it into the text fields of its result.
 * Bytes are kept raw and decoded once at the end, each stream with its own decoder so a UTF-8
 * character split between chunks (or interleaved with the other stream) decodes whole.
 */
import { StringDecoder } from 'node:string_decoder';
import stripAnsi from 'strip-ansi';
import type { OutputChunk, RunOptions } from './command-result.js';

export type StreamName = OutputChunk['type'];

export class CommandOutput {
  readonly #chunks: OutputChunk[] = [];
  readonly #live: { stdout?: StringDecoder; stderr?: StringDecoder } = {};
  readonly #options: RunOptions;
  readonly #onChunk: ((chunk: OutputChunk) => void) | undefined;

  constructor(options: RunOptions, onChunk?: (chunk: OutputChunk) => void) {
    this.#options = options;
    this.#onChunk = onChunk;
  }

  add(type: StreamName, data: Buffer): void {
    const chunk = { type, data };
    this.#chunks.push(chunk);
    this.#onChunk?.(chunk);
    const callback = type === 'stdout' ? this.#options.onStdout : this.#options.onStderr;
    if (callback) {
      const decoder = (this.#live[type] ??= new StringDecoder('utf8'));
      const text = decoder.write(data);
      if (text) callback(text);
    }
  }

  /** The text fields of the result: `stdout`, `stderr` and `output`. */
  texts(): { stdout: string; stderr: string; output: string } {
    if (this.#chunks.length === 0) return { stdout: '', stderr: '', output: '' };
    const clean = this.#options.stripAnsi === false ? (s: string) => s : stripAnsi;
    const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
    const parts = { stdout: [] as string[], stderr: [] as string[] };
    const output: string[] = [];
    for (const { type, data } of this.#chunks) {
      const text = decoders[type].write(data);
      parts[type].push(text);
      output.push(text);
    }
    for (const type of ['stdout', 'stderr'] as const) {
      const rest = decoders[type].end();
      parts[type].push(rest);
      output.push(rest);
    }
    return {
      stdout: clean(parts.stdout.join('')),
      stderr: clean(parts.stderr.join('')),
      output: clean(output.join('')),
    };
  }
}
