/**
 * Reading the engine's progress streams (pull, build): newline-delimited JSON messages.
 *
 * Used instead of dockerode's `modem.followProgress`, which finishes successfully when the stream
 * carries an `error` message (a failed pull looked like a good one), decodes each chunk on its own
 * (a UTF-8 character split across chunks became two replacement characters) and throws from an event
 * handler on a line that is not JSON.
 */
import { StringDecoder } from 'node:string_decoder';

/** One message of a pull or build stream, as the engine sends it (fields differ by stream). */
export interface EngineMessage {
  /** Build output text; may hold several lines, or part of one. */
  stream?: string;
  /** Pull status ("Downloading", "Pull complete", ...), or a build's status line. */
  status?: string;
  /** A layer id on pull messages (or the tag on "Pulling from ..."). */
  id?: string;
  progressDetail?: { current?: number; total?: number };
  /** Docker's own rendering of the progress bar. */
  progress?: string;
  error?: string;
  errorDetail?: { code?: number; message?: string };
  /** Side data: `{ ID: 'sha256:...' }` is the built image. */
  aux?: { ID?: string } & Record<string, unknown>;
}

/**
 * Splits chunks into messages. Chunks may split anywhere (mid-line, mid-character); empty lines are
 * skipped; a line that is not a JSON object is reported as text (`{ stream: line + '\n' }`) rather
 * than thrown away or thrown.
 */
export class JsonLineSplitter {
  readonly #decoder = new StringDecoder('utf8');
  #pending = '';

  /** Feeds one chunk; returns the messages completed by it. */
  push(chunk: Buffer | string): EngineMessage[] {
    this.#pending += typeof chunk === 'string' ? chunk : this.#decoder.write(chunk);
    const messages: EngineMessage[] = [];
    let newline: number;
    while ((newline = this.#pending.indexOf('\n')) >= 0) {
      const line = this.#pending.slice(0, newline);
      this.#pending = this.#pending.slice(newline + 1);
      const message = parseLine(line);
      if (message) messages.push(message);
    }
    return messages;
  }

  /** The end of the stream: returns a last message that had no newline, if any. */
  end(): EngineMessage[] {
    const rest = this.#pending + this.#decoder.end();
    this.#pending = '';
    const message = parseLine(rest);
    return message ? [message] : [];
  }
}

function parseLine(raw: string): EngineMessage | undefined {
  const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (line.trim() === '') return undefined;
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as EngineMessage;
  } catch {
    // fall through: not JSON
  }
  return { stream: `${line}\n` };
}

/**
 * Reads a whole progress stream, calling `onMessage` for each message in order. Rejects with the
 * stream's error (an aborted request: its `AbortError`), or when it closes before its end.
 */
export async function readJsonLines(stream: NodeJS.ReadableStream, onMessage: (message: EngineMessage) => void): Promise<void> {
  const splitter = new JsonLineSplitter();
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    for (const message of splitter.push(chunk)) onMessage(message);
  }
  for (const message of splitter.end()) onMessage(message);
}
