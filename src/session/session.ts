/**
 * A bash session over any `{ stdin, stdout, stderr }` transport: local bash, a Docker attach, or
 * anything else that carries bytes. Knows nothing of Docker.
 *
 * Commands run one at a time in FIFO order (p-queue). Each is framed with a fresh uuid, and it is
 * complete when that uuid's sentinel has arrived on stdout (with the exit code) and on stderr (so
 * all its stderr is in too).
 */
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import PQueue from 'p-queue';
import { v4 as uuidv4 } from 'uuid';
import { CommandFailedError, InvalidArgumentError, SessionClosedError, type SessionCloseInfo } from '../errors.js';
import { frameCommand, sessionPrelude } from '../protocol/command-framing.js';
import { SentinelScanner, type ScanResult } from '../protocol/sentinel-scanner.js';
import { CommandOutput, type StreamName } from './command-output.js';
import type { CommandResult, OutputChunk, RunOptions } from './command-result.js';
import { EventQueue } from './event-queue.js';

/** Anything that emits `'data'` with Buffers: a Readable, or a lighter emitter. */
export interface ByteSource {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
}

/** The byte streams of a running bash, and a promise that settles when it is gone. */
export interface ShellTransport {
  stdin: Writable;
  stdout: ByteSource;
  stderr: ByteSource;
  /** Resolves once the shell has ended, saying how. Must not reject. */
  closed: Promise<SessionCloseInfo>;
}

/** An event of `stream()`: a chunk of output, or last, the result. */
export type CommandEvent = OutputChunk | { type: 'result'; result: CommandResult };

/** Options of `Session.open()`. */
export interface SessionOpenOptions {
  /** How long bash may take to answer the prelude. Default: 30 000 ms. */
  readyTimeoutMs?: number;
}

/** One command from framing to completion. */
class InFlight {
  readonly stdoutScanner: SentinelScanner;
  readonly stderrScanner: SentinelScanner;
  readonly startedAt = performance.now();
  exitCode: number | null = null;

  constructor(
    readonly id: string,
    readonly command: string,
    readonly output: CommandOutput | undefined,
    readonly resolve: (exitCode: number | null) => void,
    readonly reject: (error: unknown) => void,
  ) {
    this.stdoutScanner = new SentinelScanner(id);
    this.stderrScanner = new SentinelScanner(id);
  }

  get isComplete(): boolean {
    return this.stdoutScanner.isDone && this.stderrScanner.isDone;
  }
}

export class Session {
  readonly #transport: ShellTransport;
  readonly #queue = new PQueue({ concurrency: 1 });
  #current: InFlight | undefined;
  #closeInfo: SessionCloseInfo | undefined;
  #output: PassThrough | undefined;
  readonly #closedPromise: Promise<SessionCloseInfo>;
  #resolveClosed!: (info: SessionCloseInfo) => void;

  private constructor(transport: ShellTransport) {
    this.#transport = transport;
    this.#closedPromise = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    transport.stdout.on('data', (chunk: Buffer) => this.#onData('stdout', chunk));
    transport.stderr.on('data', (chunk: Buffer) => this.#onData('stderr', chunk));
    // A write to a shell that just died fails with EPIPE; `closed` reports the death itself.
    transport.stdin.on('error', () => {});
    void transport.closed.then((info) => this.#onClosed(info));
  }

  /**
   * Starts a session on a freshly started bash: sends the prelude and waits until bash answers.
   * Output before the answer (e.g. bytes a transport leaked into bash's input) is discarded.
   * @throws SessionClosedError if bash ends or does not answer in time.
   */
  static async open(transport: ShellTransport, options: SessionOpenOptions = {}): Promise<Session> {
    const session = new Session(transport);
    const readyId = uuidv4();
    const timeoutMs = options.readyTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<number | null>((resolve, reject) => {
        session.#current = new InFlight(readyId, '(session prelude)', undefined, resolve, reject);
        timer = setTimeout(
          () => reject(new SessionClosedError({ reason: 'transport-error', detail: `bash did not answer within ${timeoutMs} ms` })),
          timeoutMs,
        );
        session.#write(sessionPrelude(readyId));
      });
    } catch (error) {
      session.#current = undefined;
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return session;
  }

  /** Resolves, saying why, once the session has ended. */
  get closed(): Promise<SessionCloseInfo> {
    return this.#closedPromise;
  }

  /** Resolves when no command is running or queued. */
  async drain(): Promise<void> {
    await this.#queue.onIdle();
  }

  /** Why the session ended, once it has; undefined while it is open. */
  get closeInfo(): SessionCloseInfo | undefined {
    return this.#closeInfo;
  }

  get isClosed(): boolean {
    return this.#closeInfo !== undefined;
  }

  /** Commands waiting to start (not counting the one running). */
  get pendingCount(): number {
    return this.#queue.size;
  }

  /**
   * Everything the session prints, stdout and stderr, raw bytes in arrival order, sentinels removed;
   * including output of background jobs between commands. Pipe it to `process.stdout` to watch.
   * Created on first access: output before that is not in it.
   */
  get output(): Readable {
    if (!this.#output) {
      this.#output = new PassThrough();
      if (this.#closeInfo) this.#output.end();
    }
    return this.#output;
  }

  /**
   * Runs one command after those already queued and resolves with its result, whatever its exit
   * code (unless `check: true`).
   */
  run(command: string, options: RunOptions = {}): Promise<CommandResult> {
    return this.#enqueue(command, options, undefined);
  }

  /**
   * Runs one command and yields its output as it arrives, then `{ type: 'result', result }`.
   * The iteration throws what `run()` would reject with.
   */
  stream(command: string, options: RunOptions = {}): AsyncIterableIterator<CommandEvent> {
    const events = new EventQueue<CommandEvent>();
    this.#enqueue(command, options, (chunk) => events.push(chunk)).then(
      (result) => {
        events.push({ type: 'result', result });
        events.end();
      },
      (error: unknown) => events.end(error, true),
    );
    return events;
  }

  /**
   * Ends the session from this side: the running command and every queued one reject with
   * `SessionClosedError` carrying `info`. Idempotent. Ending the transport is the caller's job.
   */
  destroy(info: SessionCloseInfo): void {
    this.#onClosed(info);
  }

  #enqueue(command: string, options: RunOptions, onChunk: ((chunk: OutputChunk) => void) | undefined): Promise<CommandResult> {
    if (typeof command !== 'string') return Promise.reject(new InvalidArgumentError('command', 'a string', command));
    let frame: (id: string) => string;
    try {
      const stdin = typeof options.stdin === 'string' ? Buffer.from(options.stdin) : options.stdin;
      frame = frameCommand(command, stdin);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#queue.add(() => this.#execute(command, frame, options, onChunk));
  }

  async #execute(
    command: string,
    frame: (id: string) => string,
    options: RunOptions,
    onChunk: ((chunk: OutputChunk) => void) | undefined,
  ): Promise<CommandResult> {
    if (this.#closeInfo) throw new SessionClosedError(this.#closeInfo, { command });
    const id = uuidv4();
    const output = new CommandOutput(options, onChunk);
    let inFlight!: InFlight;
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      inFlight = new InFlight(id, command, output, resolve, reject);
      this.#current = inFlight;
      this.#write(frame(id));
    });
    const result: CommandResult = {
      command,
      exitCode: exitCode ?? 255,
      ...output.texts(),
      durationMs: performance.now() - inFlight.startedAt,
    };
    if (options.check && result.exitCode !== 0) throw new CommandFailedError(result);
    return result;
  }

  #write(text: string): void {
    this.#transport.stdin.write(text);
  }

  #onData(stream: StreamName, chunk: Buffer): void {
    const current = this.#current;
    const scanner = current && (stream === 'stdout' ? current.stdoutScanner : current.stderrScanner);
    if (!current || !scanner || scanner.isDone) {
      this.#output?.write(chunk);
      return;
    }
    const result: ScanResult = scanner.push(chunk);
    for (const piece of result.output) {
      if (!current.output) continue;
      current.output.add(stream, piece);
      this.#output?.write(piece);
    }
    if (!result.done) return;
    if (stream === 'stdout') current.exitCode = result.done.exitCode;
    if (result.done.rest.length > 0) this.#output?.write(result.done.rest);
    if (current.isComplete) {
      this.#current = undefined;
      current.resolve(current.exitCode);
    }
  }

  #onClosed(info: SessionCloseInfo): void {
    if (this.#closeInfo) return;
    this.#closeInfo = info;
    this.#resolveClosed(info);
    const current = this.#current;
    this.#current = undefined;
    if (current) {
      for (const [stream, scanner] of [
        ['stdout', current.stdoutScanner],
        ['stderr', current.stderrScanner],
      ] as const) {
        const held = scanner.isDone ? undefined : scanner.flush();
        if (held?.length) current.output?.add(stream, held);
      }
      const texts = current.output?.texts();
      current.reject(new SessionClosedError(info, { command: current.command, stdout: texts?.stdout, stderr: texts?.stderr }));
    }
    this.#output?.end();
  }
}
