import { fstatSync } from 'node:fs';

/**
 * A command's live output, written to this process's stdout and stderr as its bytes arrive, with
 * backpressure (a slow reader of our stdout slows the command down, as a pipe would).
 */

type StreamName = 'stdout' | 'stderr';

/** Writes `data` and resolves once the stream can take more (or has failed: the caller hears of it elsewhere). */
export function writeTo(stream: NodeJS.WritableStream, data: string | Uint8Array): Promise<void> {
  if (stream.write(data)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('error', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('error', done);
    stream.on('close', done);
  });
}

/** Where output goes, and whether what was written last ended a line. */
export class LiveOutput {
  readonly #streams: Record<StreamName, NodeJS.WriteStream>;
  readonly #endsLine: Record<StreamName, boolean> = { stdout: true, stderr: true };
  #lastEndsLine = true;
  readonly #shared: boolean;

  constructor(stdout: NodeJS.WriteStream = process.stdout, stderr: NodeJS.WriteStream = process.stderr) {
    this.#streams = { stdout, stderr };
    this.#shared = sameTarget(stdout, stderr);
  }

  write(type: StreamName, data: Uint8Array): Promise<void> {
    if (data.length === 0) return Promise.resolve();
    const endsLine = data[data.length - 1] === 0x0a;
    this.#endsLine[type] = endsLine;
    this.#lastEndsLine = endsLine;
    return writeTo(this.#streams[type], data);
  }

  /**
   * True when a line of ours on stderr would start in the middle of the command's last line: the
   * command's last byte on stderr was not a newline, or, when both streams end up in the same place
   * (a terminal, `2>&1`), its last byte on either.
   */
  get midLine(): boolean {
    return this.#shared ? !this.#lastEndsLine : !this.#endsLine.stderr;
  }

  /** Starts over: the next step's output begins on a fresh line. */
  reset(): void {
    this.#endsLine.stdout = true;
    this.#endsLine.stderr = true;
    this.#lastEndsLine = true;
  }
}

/** True when both streams are terminals, or the same file or pipe (`2>&1`). */
function sameTarget(stdout: NodeJS.WriteStream, stderr: NodeJS.WriteStream): boolean {
  if (stdout.isTTY === true && stderr.isTTY === true) return true;
  try {
    const fd = (stream: NodeJS.WriteStream): number => (stream as { fd?: number }).fd ?? -1;
    const [out, err] = [fstatSync(fd(stdout)), fstatSync(fd(stderr))];
    return out.dev === err.dev && out.ino === err.ino;
  } catch {
    return false;
  }
}
