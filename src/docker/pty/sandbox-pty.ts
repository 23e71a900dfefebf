/** The handle of a terminal opened in the sandbox beside the session: its output, input, size, end and kill. */
import type { Readable } from 'node:stream';
import { InvalidArgumentError } from '../../errors.js';
import { checkDimension } from './pty-options.js';
import { signalTree } from '../spawn/signal-tree.js';

/** @internal What `openPty()` hands a new SandboxPty. */
export interface PtyParts {
  command: string;
  pid: number;
  cols: number;
  rows: number;
  output: Readable;
  /** Writes to the terminal's input; false once the connection is gone. */
  write(data: string | Uint8Array): boolean;
  /** Asks the engine to resize the terminal. */
  resize(cols: number, rows: number): Promise<void>;
  /** Resolves with the exec's exit status once the output has ended; never rejects. */
  exited: Promise<number | null>;
  /** Signals every process of the terminal's tree. */
  killTree(signal: NodeJS.Signals): Promise<void>;
  /** Drops the connection at once (the runner is removing the container). */
  destroy(): void;
}

/** The runner's hold on its terminals, off the public surface. */
const controls = new WeakMap<SandboxPty, { stop: () => void; exited: Promise<unknown> }>();

/** Ends a terminal because its runner stops: its connection is dropped, `wait()` says null. */
export function stopPty(pty: SandboxPty): void {
  controls.get(pty)?.stop();
}

/** Resolves when the terminal has ended, without making its output flow as `wait()` does. */
export function ptyExit(pty: SandboxPty): Promise<unknown> {
  return controls.get(pty)?.exited ?? Promise.resolve();
}

/**
 * A terminal opened by `runner.pty()`: a program (by default an interactive bash) on a real
 * pseudo-terminal in the sandbox. `output` carries what it shows, raw (escape sequences, `\r\n`);
 * `write()` is what is typed (`'\x03'` is Ctrl-C, `'\x04'` Ctrl-D); `resize()` changes its size
 * (the program gets SIGWINCH). Its output is backpressured: unread output pauses the program once
 * the buffers fill, unless `onData` was given or `wait()` was called, which let it flow.
 *
 * @example
 * ```ts
 * const pty = await runner.pty({ cols: 100, rows: 30 });
 * pty.output.pipe(process.stdout);
 * pty.write('stty size; exit 3\n'); // prints "30 100"
 * const exitCode = await pty.wait(); // 3
 * ```
 */
export class SandboxPty implements AsyncDisposable {
  /** The command running on the terminal, as given to `pty()` (`'bash'` by default). */
  readonly command: string;
  /** Its pid in the sandbox: the leader of the terminal's session. */
  readonly pid: number;
  /** What the terminal shows, raw bytes as they arrive. Ends when the program and every process holding the terminal have ended. */
  readonly output: Readable;
  readonly #parts: PtyParts;
  readonly #exited: Promise<number | null>;
  #cols: number;
  #rows: number;
  #exitCode: number | null = null;
  #ended = false;
  #stopped = false;

  /** @internal Made by `runner.pty()`. */
  constructor(parts: PtyParts) {
    this.#parts = parts;
    this.command = parts.command;
    this.pid = parts.pid;
    this.output = parts.output;
    this.#cols = parts.cols;
    this.#rows = parts.rows;
    this.#exited = parts.exited.then((exitCode) => {
      this.#ended = true;
      this.#exitCode = this.#stopped ? null : exitCode;
      return this.#exitCode;
    });
    controls.set(this, {
      stop: () => {
        if (this.#ended) return;
        this.#stopped = true;
        parts.destroy();
      },
      exited: this.#exited,
    });
  }

  /** Width of the terminal in columns, as last set. */
  get cols(): number {
    return this.#cols;
  }

  /** Height of the terminal in rows, as last set. */
  get rows(): number {
    return this.#rows;
  }

  /** Its exit status once it has ended; null while it runs, and when unknown (the runner was stopped, the container went away). */
  get exitCode(): number | null {
    return this.#exitCode;
  }

  /** True until its output has ended and its exit status is known. */
  get isRunning(): boolean {
    return !this.#ended;
  }

  /**
   * Types `data` on the terminal, as keys: `'ls\r'` runs `ls` in the shell, `'\x03'` is Ctrl-C,
   * `'\x1b[A'` the up arrow. Returns false, dropping it, once the terminal has ended.
   * @throws InvalidArgumentError when `data` is neither a string nor bytes.
   */
  write(data: string | Uint8Array): boolean {
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) throw new InvalidArgumentError('data', 'a string or a Uint8Array', data);
    if (this.#ended) return false;
    return this.#parts.write(data);
  }

  /**
   * Resizes the terminal to `cols` x `rows`; the program gets SIGWINCH and `stty size` says the new
   * size. Resolves once the engine has applied it; a no-op once the terminal has ended.
   * @throws InvalidArgumentError for a size that is not a whole number from 1 to 65 535; DockerApiError when the engine refuses.
   */
  async resize(cols: number, rows: number): Promise<void> {
    checkDimension(cols, 'cols');
    checkDimension(rows, 'rows');
    if (this.#ended) return;
    try {
      await this.#parts.resize(cols, rows);
    } catch (error) {
      if (this.#ended) return; // it ended meanwhile: there is nothing left to resize
      throw error;
    }
    this.#cols = cols;
    this.#rows = rows;
  }

  /**
   * Resolves with its exit code when it has ended (`exit 7` in the shell: 7; 128 + n when signal n
   * ended it), or null when unknown (the runner was stopped, the container went away). Lets the
   * output flow when nobody reads it. Never rejects.
   */
  wait(): Promise<number | null> {
    if (this.output.readableFlowing === null) this.output.resume();
    return this.#exited;
  }

  /**
   * Sends `signal` to every process of the terminal (the shell, its jobs, their children, those
   * that left its session) and resolves once sent: true, or false when it had already ended. The
   * default, SIGHUP, is what a closed terminal sends: an interactive bash ignores SIGTERM and
   * SIGINT, but exits on SIGHUP (its exit code is then 129).
   * @throws InvalidArgumentError for an unknown signal name; DockerApiError when the engine refuses the kill.
   * @example
   * ```ts
   * const pty = await runner.pty();
   * await pty.kill(); // SIGHUP, as when a terminal window is closed
   * await pty.wait(); // 129
   * ```
   */
  kill(signal: NodeJS.Signals = 'SIGHUP'): Promise<boolean> {
    return signalTree(
      signal,
      'SIGHUP',
      () => this.#ended,
      (name) => this.#parts.killTree(name),
    );
  }

  /** Kills its processes (SIGKILL) if it still runs and waits for its end: `await using pty = await runner.pty()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill('SIGKILL').catch(() => {});
    await this.wait();
  }
}
