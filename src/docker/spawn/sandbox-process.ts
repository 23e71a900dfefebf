/** The handle of a process spawned in the sandbox beside the session: its streams, its end, its kill. */
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type { CollectedOutput } from '../../session/command-output.js';
import { SuspendableTimers } from '../../session/suspendable-timers.js';
import { signalTree } from './signal-tree.js';

/**
 * What `SandboxProcess.wait()` resolves with, whatever the exit code: a non-zero exit, a timeout, a
 * cancel or a kill is a result, not an error.
 *
 * @example
 * ```ts
 * const { exitCode, signal, stdout, timedOut } = await (await runner.spawn('make test')).wait();
 * if (timedOut || exitCode !== 0) console.error(`failed (${signal ?? exitCode})`, stdout);
 * ```
 */
export interface SpawnResult {
  /** The command as given to `spawn()`. */
  command: string;
  /** Its pid in the sandbox. */
  pid: number;
  /** Its exit status, 0-255 (128 + n when signal n ended it); null when unknown: the runner was stopped or the container went away. */
  exitCode: number | null;
  /**
   * The signal that ended it, read from an exit status of 128 + n as the shell reports it, or
   * `'SIGKILL'` when the runner was stopped under it; null otherwise.
   */
  signal: NodeJS.Signals | null;
  /** Everything it wrote to stdout, decoded as UTF-8 (ANSI codes stripped), bounded by `maxOutputBytes`. */
  stdout: string;
  /** Everything it wrote to stderr, likewise. */
  stderr: string;
  /** stdout and stderr interleaved in the order they arrived. */
  output: string;
  /** Output went past `maxOutputBytes`: the middle was dropped (see `droppedBytes`). */
  truncated: boolean;
  /** How many bytes of output were dropped, not kept. */
  droppedBytes: number;
  /** From the `spawn()` call until its output ended and its exit status was known. */
  durationMs: number;
  /** It ran past `timeoutMs` and its process tree was killed. */
  timedOut: boolean;
  /** Its `signal` was aborted and its process tree was killed. */
  canceled: boolean;
}

/** How an ended process was ended from outside, if it was. */
type EndedBy = 'timeout' | 'abort' | 'stop';

/** @internal What `spawnProcess()` hands a new SandboxProcess. */
export interface ProcessParts {
  command: string;
  pid: number;
  stdout: Readable;
  stderr: Readable;
  stdin: Writable;
  startedAt: number;
  /** Resolves with the exec's exit status once its output has ended; never rejects. */
  exited: Promise<number | null>;
  collect(): CollectedOutput;
  /** Signals every process of the tree. */
  killTree(signal: NodeJS.Signals): Promise<void>;
  /** Drops the connection at once (the runner is removing the container). */
  destroy(): void;
  timeoutMs: number | undefined;
  /** The clock of `timeoutMs` (suspended while the sandbox is paused). Default: real time. */
  timers: SuspendableTimers | undefined;
  signal: AbortSignal | undefined;
  /** The output flows from the start (callbacks were given). */
  flowing: boolean;
}

/** The runner's hold on its processes, off the public surface. */
const controls = new WeakMap<SandboxProcess, { stop: () => void; exited: Promise<unknown> }>();

/** Ends a process because its runner stops: its connection is dropped, its result says SIGKILL. */
export function stopSpawned(process: SandboxProcess): void {
  controls.get(process)?.stop();
}

/** Resolves when the process has ended, without making its output flow as `wait()` does. */
export function spawnedExit(process: SandboxProcess): Promise<unknown> {
  return controls.get(process)?.exited ?? Promise.resolve();
}

/**
 * A process started by `runner.spawn()`, running in the sandbox beside the session. Its output is
 * live and backpressured: read `stdout` / `stderr`, pipe them, give `onStdout` / `onStderr`, or call
 * `wait()`; unread output pauses the process once the buffers fill, as with Node's child processes.
 * A stream destroyed by its reader (e.g. a `break` out of `for await`) stops being fed, and the output
 * flows on into `wait()`'s result.
 *
 * @example
 * ```ts
 * const proc = await runner.spawn('cat');
 * proc.stdin.end('hello\n');
 * const { stdout, exitCode } = await proc.wait(); // 'hello\n', 0
 * ```
 */
export class SandboxProcess implements AsyncDisposable {
  /** The command as given to `spawn()`. */
  readonly command: string;
  /** Its pid in the sandbox (the leader of its process tree, which is a session of its own). */
  readonly pid: number;
  /** Its stdout, raw bytes as they arrive. Ends when the process and every child holding it have ended. */
  readonly stdout: Readable;
  /** Its stderr, likewise. */
  readonly stderr: Readable;
  /** Its stdin: `write()` to it, `end()` to give it end-of-file. Writes after the process ended are dropped. */
  readonly stdin: Writable;
  readonly #parts: ProcessParts;
  readonly #result: Promise<SpawnResult>;
  #exitCode: number | null = null;
  #ended = false;
  #endedBy: EndedBy | undefined;

  /** @internal Made by `runner.spawn()`. */
  constructor(parts: ProcessParts) {
    this.#parts = parts;
    this.command = parts.command;
    this.pid = parts.pid;
    this.stdout = parts.stdout;
    this.stderr = parts.stderr;
    this.stdin = parts.stdin;
    if (parts.flowing) this.#flow();
    const timers = parts.timers ?? new SuspendableTimers();
    const timer =
      parts.timeoutMs === undefined || parts.timeoutMs === Infinity
        ? undefined
        : timers.setTimeout(() => this.#interrupt('timeout'), parts.timeoutMs, { unref: true });
    const onAbort = (): void => this.#interrupt('abort');
    parts.signal?.addEventListener('abort', onAbort, { once: true });
    const exited = parts.exited.then((exitCode) => {
      timer?.clear();
      parts.signal?.removeEventListener('abort', onAbort);
      this.#ended = true;
      this.#exitCode = this.#endedBy === 'stop' ? null : exitCode;
    });
    this.#result = exited.then(() => this.#resultNow());
    controls.set(this, {
      stop: () => {
        if (this.#ended) return;
        this.#endedBy ??= 'stop';
        parts.destroy();
      },
      exited,
    });
  }

  /** Its exit status once it has ended; null while it runs (and when unknown, see `SpawnResult.exitCode`). */
  get exitCode(): number | null {
    return this.#exitCode;
  }

  /** True until its output has ended and its exit status is known. */
  get isRunning(): boolean {
    return !this.#ended;
  }

  /**
   * Resolves when it has ended, with its exit status and its output (bounded by `maxOutputBytes`).
   * Lets the output flow: streams nobody reads are drained into the result. Never rejects.
   */
  wait(): Promise<SpawnResult> {
    this.#flow();
    return this.#result;
  }

  /**
   * Sends `signal` to every process it started, children that double-forked or left its session
   * included (they carry its environment tag), and resolves once sent: true, or false when it had
   * already ended (a no-op). `wait()` says when it has ended.
   * @throws InvalidArgumentError for an unknown signal name; DockerApiError when the engine refuses the kill.
   * @example
   * ```ts
   * const server = await runner.spawn('perl server.pl');
   * await server.kill(); // SIGTERM: let it shut down
   * const { signal } = await server.wait(); // 'SIGTERM'
   * ```
   */
  kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<boolean> {
    return signalTree(
      signal,
      'SIGTERM',
      () => this.#ended,
      (name) => this.#parts.killTree(name),
    );
  }

  /** Kills the process tree (SIGKILL) if it still runs and waits for its end: `await using proc = await runner.spawn(...)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill('SIGKILL').catch(() => {});
    await this.wait();
  }

  #interrupt(how: 'timeout' | 'abort'): void {
    if (this.#ended || this.#endedBy) return;
    this.#endedBy = how;
    void this.#parts.killTree('SIGKILL').catch(() => {});
  }

  /** Lets output nobody reads flow (into the collector), without taking it from a reader that has one. */
  #flow(): void {
    for (const stream of [this.stdout, this.stderr]) if (stream.readableFlowing === null) stream.resume();
  }

  #resultNow(): SpawnResult {
    const exitCode = this.#exitCode;
    const signal = this.#endedBy === 'stop' ? 'SIGKILL' : signalOf(exitCode);
    return {
      command: this.command,
      pid: this.pid,
      exitCode,
      signal,
      ...this.#parts.collect(),
      durationMs: performance.now() - this.#parts.startedAt,
      timedOut: this.#endedBy === 'timeout',
      canceled: this.#endedBy === 'abort',
    };
  }
}

/** The signal of an exit status 128 + n, as the shell reports a death by signal n. */
function signalOf(exitCode: number | null): NodeJS.Signals | null {
  if (exitCode === null || exitCode <= 128) return null;
  const number = exitCode - 128;
  const entry = Object.entries(constants.signals).find(([, value]) => value === number);
  return entry ? (entry[0] as NodeJS.Signals) : null;
}
