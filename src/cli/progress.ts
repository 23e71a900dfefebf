/**
 * docker-shell's own lines on stderr: status lines, a spinner for work of unknown length, and
 * per-layer bars for image pulls. On a terminal they animate (ora, cli-progress); anywhere else
 * they are plain lines, one per change worth logging; with `--quiet`, nothing.
 */
import { chalkStderr as chalk } from 'chalk';
import type cliProgress from 'cli-progress';
import type { PullEvent } from '../docker/images.js';
import { formatBytes } from './parse.js';

/** A piece of work under way: a spinner on a terminal, silent until it ends elsewhere. */
export interface Task {
  /** New text for the spinner (a terminal only: plain output logs the outcome, not each step). */
  update(text: string): void;
  /** Ends the task with a line saying what it did. */
  succeed(text: string): void;
  /** Ends the task without a line (the error printer says what went wrong). */
  stop(): void;
}

/** Handles of a pull's progress display. */
export interface PullDisplay {
  onProgress(event: PullEvent): void;
  /** Removes the bars' animation and leaves their last state on screen. */
  stop(): void;
}

/** The terminal libraries, loaded only for a terminal: they cost ~120 ms of start-up. */
interface TerminalKit {
  ora: typeof import('ora').default;
  cliProgress: typeof cliProgress;
}

/** Where docker-shell's own lines go, and how. Make one with {@link Progress.create}. */
export class Progress {
  readonly #stream: NodeJS.WriteStream;
  readonly #quiet: boolean;
  #kit: TerminalKit | undefined;

  /** A Progress for `stream` (default stderr), with the spinner and bars loaded when it is a terminal. */
  static async create(options: { quiet?: boolean; stream?: NodeJS.WriteStream } = {}): Promise<Progress> {
    const progress = new Progress(options);
    if (progress.interactive) {
      const [{ default: ora }, { default: bars }] = await Promise.all([import('ora'), import('cli-progress')]);
      progress.#kit = { ora, cliProgress: bars };
    }
    return progress;
  }

  private constructor(options: { quiet?: boolean; stream?: NodeJS.WriteStream }) {
    this.#stream = options.stream ?? process.stderr;
    this.#quiet = options.quiet === true;
  }

  /** True when lines are written at all. */
  get enabled(): boolean {
    return !this.#quiet;
  }

  /** True when the stream is a terminal that can animate (and not `--quiet`). */
  get interactive(): boolean {
    return !this.#quiet && this.#stream.isTTY === true && process.env.TERM !== 'dumb';
  }

  /** The terminal libraries when they are loaded (a terminal, not `--quiet`). */
  get #terminal(): TerminalKit | undefined {
    return this.interactive ? this.#kit : undefined;
  }

  /** One line, prefixed `docker-shell: ` (nothing with `--quiet`). */
  line(text: string): void {
    if (!this.#quiet) this.#stream.write(`${chalk.dim('docker-shell:')} ${text}\n`);
  }

  /** A spinner with `text` on a terminal; elsewhere only the outcome's line. */
  task(text: string): Task {
    const kit = this.#terminal;
    if (!kit) {
      return { update: () => {}, succeed: (done) => this.line(done), stop: () => {} };
    }
    // discardStdin: false: ora would otherwise put stdin in raw mode, under the shell's readline.
    const spinner = kit.ora({ text, stream: this.#stream, discardStdin: false }).start();
    return {
      update: (next) => {
        // One line, cut to the terminal: long build lines would wrap the spinner.
        const width = Math.max((this.#stream.columns ?? 80) - 3, 20);
        spinner.text = next.length > width ? `${next.slice(0, width - 3)}...` : next;
      },
      succeed: (done) => {
        spinner.stop();
        this.line(done);
      },
      stop: () => {
        spinner.stop();
      },
    };
  }

  /** Shows the pull of `image`: a bar per layer on a terminal, a line per layer status change elsewhere. */
  pull(image: string): PullDisplay {
    if (this.#quiet) return { onProgress: () => {}, stop: () => {} };
    const kit = this.#terminal;
    return kit ? new PullBars(image, this.#stream, kit.cliProgress) : new PullLines(image, (text) => this.line(text));
  }
}

/** Plain lines: the pull's status messages, and each layer's status when it changes. */
class PullLines implements PullDisplay {
  readonly #image: string;
  readonly #write: (text: string) => void;
  readonly #status = new Map<string, string>();

  constructor(image: string, write: (text: string) => void) {
    this.#image = image;
    this.#write = write;
  }

  onProgress(event: PullEvent): void {
    if (event.type === 'status') {
      this.#write(`pull ${this.#image}: ${event.message}`);
      return;
    }
    if (this.#status.get(event.id) === event.status) return;
    this.#status.set(event.id, event.status);
    const size = event.totalBytes === undefined ? '' : ` (${formatBytes(event.totalBytes)})`;
    this.#write(`pull ${this.#image}: layer ${event.id} ${event.status}${size}`);
  }

  stop(): void {}
}

/**
 * cli-progress bars, one per layer, with the engine's status word and the bytes done; drawn from
 * the first layer event on. The pull's status messages are plain lines: those that come before the
 * first bar above the bars, the later ones (digest, "Downloaded newer image") below them once they
 * stop (cli-progress's own log lines leave pieces of the bars they write over).
 */
class PullBars implements PullDisplay {
  readonly #stream: NodeJS.WriteStream;
  readonly #cliProgress: typeof cliProgress;
  #bars: cliProgress.MultiBar | undefined;
  readonly #layers = new Map<string, cliProgress.SingleBar>();
  readonly #after: string[] = [];

  constructor(image: string, stream: NodeJS.WriteStream, library: typeof cliProgress) {
    this.#stream = stream;
    this.#cliProgress = library;
    this.#header = `${chalk.dim('docker-shell:')} pulling ${image}\n`;
  }

  #header: string | undefined;

  #write(line: string): void {
    if (this.#header) this.#stream.write(this.#header);
    this.#header = undefined;
    this.#stream.write(line);
  }

  #multiBar(): cliProgress.MultiBar {
    if (this.#bars) return this.#bars;
    this.#write('');
    this.#bars = new this.#cliProgress.MultiBar(
      {
        stream: this.#stream,
        format: ' {id} [{bar}] {status} {done}/{size}',
        barsize: 30,
        hideCursor: true,
        clearOnComplete: false,
        // Ctrl-C is ours (the trap interrupts the work); the bars end in stop().
        gracefulExit: false,
      },
      this.#cliProgress.Presets.shades_classic,
    );
    return this.#bars;
  }

  onProgress(event: PullEvent): void {
    if (event.type === 'status') {
      if (this.#bars) this.#after.push(`${event.message}\n`);
      else this.#write(`${event.message}\n`);
      return;
    }
    const bars = this.#multiBar();
    const payload = {
      id: event.id,
      status: event.status.padEnd(18),
      done: formatBytes(event.currentBytes),
      size: event.totalBytes === undefined ? '?' : formatBytes(event.totalBytes),
    };
    const total = Math.max(event.totalBytes ?? 0, event.currentBytes, 1);
    const bar = this.#layers.get(event.id);
    if (!bar) {
      this.#layers.set(event.id, bars.create(total, event.currentBytes, payload));
      return;
    }
    bar.setTotal(total);
    bar.update(event.currentBytes, payload);
  }

  stop(): void {
    this.#bars?.stop();
    for (const line of this.#after.splice(0)) this.#write(line);
  }
}
