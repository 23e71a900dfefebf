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
import { CommandCanceledError, CommandFailedError, InvalidArgumentError, SessionClosedError, type SessionCloseInfo } from '../errors.js';
import { frameCommand, sessionPrelude, type FrameOptions } from '../protocol/command-framing.js';
import { OOM_PROBE, parseOomCount } from '../protocol/oom-probe.js';
import type { ScanResult } from '../protocol/sentinel-scanner.js';
import { CommandOutput, type StreamName } from './command-output.js';
import { InFlight } from './in-flight.js';
import { checkRunOptions, reportedExitCode, type Interruption } from './run-options.js';
import type { CommandResult, OutputChunk, RunOptions } from './command-result.js';
import { EventQueue } from './event-queue.js';
import { SuspendableTimers, type SuspendableTimer } from './suspendable-timers.js';

/** Anything that emits `'data'` with Buffers: a Readable, or a lighter emitter. */
export interface ByteSource {
  /** Registers the listener for the bytes as they arrive. */
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  /** Removes it, once the session is over (optional: then a later session cannot take over the transport). */
  removeListener?(event: 'data', listener: (chunk: Buffer) => void): unknown;
}

/** The byte streams of a running bash, and a promise that settles when it is gone. */
export interface ShellTransport {
  /** bash's standard input: the session writes the framed commands to it. */
  stdin: Writable;
  /** bash's standard output. */
  stdout: ByteSource;
  /** bash's standard error, kept apart from stdout. */
  stderr: ByteSource;
  /** Resolves once the shell has ended, saying how. Must not reject. */
  closed: Promise<SessionCloseInfo>;
  /** Keep the process alive while commands run (optional). */
  ref?(): void;
  /** Let the process exit while the session is idle (optional). */
  unref?(): void;
  /** Stop reading from the shell until `resume()`: its writes then block (optional). */
  pause?(): void;
  /** Read from the shell again after `pause()` (optional). */
  resume?(): void;
}

/** Which command to kill, for `SessionControl.interrupt`. */
export interface InterruptTarget {
  /** bash's pid, as bash sees it. */
  shellPid: number;
  /** The command's task number within its session. */
  task: number;
  /** The command's tag: its programs carry `__ds_t=<tag>` in their environment. */
  tag: string;
  /** The session's tag (`SessionOpenOptions.tag`), which its bash's subshells carry; undefined when it has none. */
  sessionTag: string | undefined;
  /** How long ago the command was sent: untagged processes younger than this are its own. */
  elapsedMs: number;
}

/** What the session needs from outside to stop commands: a second channel to the sandbox. */
export interface SessionControl {
  /** Kills the processes of a command (see `killCommand`). */
  interrupt(target: InterruptTarget): Promise<void>;
  /** The session gave up on the shell (it stopped answering): tear the transport down. */
  abandon(info: SessionCloseInfo): void;
}

/**
 * An event of `stream()`: a chunk of output, or last, the result. Narrow on `type`.
 *
 * @example
 * ```ts
 * for await (const event of runner.stream('make')) {
 *   if (event.type === 'result') console.log('exit', event.result.exitCode);
 *   else process.stdout.write(event.data); // event.type is 'stdout' or 'stderr'
 * }
 * ```
 */
export type CommandEvent =
  | OutputChunk
  | {
      /** The last event: the command is done. */
      type: 'result';
      /** What `run()` would have resolved with. */
      result: CommandResult;
    };

/** Options of `Session.open()`. */
export interface SessionOpenOptions {
  /** How long bash may take to answer the prelude. Default: 30 000 ms. */
  readyTimeoutMs?: number;
  /** How timed-out and canceled commands are killed. Without it, they end the session instead. */
  control?: SessionControl;
  /** After a command exits with 137, ask the sandbox's cgroup whether the OOM killer acted. Default: false. */
  detectOom?: boolean;
  /** How long bash may take to come back after a command's processes were killed. Default: 2000 ms. */
  interruptGraceMs?: number;
  /**
   * Tells this session's processes apart from other sessions' in the same sandbox, so that a
   * timeout in one kills nothing of another: bash must have been started with `__ds_t=<tag>` in its
   * environment, and the commands' programs carry `__ds_t=<tag>.<task>`. A letter, then letters,
   * digits or `_`. Default: none (the only session: commands are tagged with their task number).
   */
  tag?: string;
  /**
   * The clock of the session's timeouts (a command's `timeoutMs`, the interrupt grace, the ready
   * timeout), for sessions whose timers are suspended together (the shells of one paused sandbox).
   * Default: one of its own.
   */
  timers?: SuspendableTimers;
}

/** What a session that takes over a shell must know of the one before (see `Session.handOver()`). */
export interface HandOver {
  /** bash's pid, as bash sees it. */
  shellPid: number;
  /** Commands numbered so far: the next session goes on from there, so task tags stay unique. */
  tasks: number;
}

/** The bytes of one framed command, given its uuid, task tag and whether the shell is at top level. */
type Frame = (id: string, task: number | string, topLevel: boolean) => Buffer;

/** What of a command's options the frame carries. */
function frameOptions(options: RunOptions): FrameOptions {
  const stdin = typeof options.stdin === 'string' ? Buffer.from(options.stdin) : options.stdin;
  return { stdin, cwd: options.cwd, env: options.env };
}

const TAG_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;

/** However slow the kill channel, a timed-out command ends by then: 15 s. */
const INTERRUPT_CAP_MS = 15_000;

/** The stdin error listener every session of a transport shares. */
const ignoreError = (): void => {};

/**
 * One bash session over a transport: the core `DockerRunner` wraps around a Docker attach, usable on
 * its own over any transport (`startLocalSession()` runs it on local bash, which is no sandbox).
 * Commands run one at a time, in call order; the shell's state carries over from one to the next.
 * Options of `run()` / `stream()` as `DockerRunner`'s, except that no timeout applies by default.
 *
 * @example
 * ```ts
 * const child = spawn('bash', ['--noprofile', '--norc'], { stdio: 'pipe' });
 * const closed = new Promise<SessionCloseInfo>((resolve) =>
 *   child.once('exit', (code) => resolve({ reason: 'shell-exited', detail: `bash exited with status ${code}`, exitCode: code })),
 * );
 * const session = await Session.open({ stdin: child.stdin, stdout: child.stdout, stderr: child.stderr, closed });
 * await session.run('cd /tmp');
 * const { stdout } = await session.run('pwd'); // '/tmp\n'
 * child.stdin.end();
 * ```
 */
export class Session {
  readonly #transport: ShellTransport;
  readonly #options: SessionOpenOptions;
  readonly #queue = new PQueue({ concurrency: 1 });
  #current: InFlight | undefined;
  #closeInfo: SessionCloseInfo | undefined;
  #output: PassThrough | undefined;
  readonly #closedPromise: Promise<SessionCloseInfo>;
  #resolveClosed!: (info: SessionCloseInfo) => void;
  #shellPid = 0;
  #tasks = 0;
  /** The shell is outside its command loop (as it starts, and after a ` top` sentinel). */
  #topLevel = true;
  #oomKills: number | undefined;
  readonly #onStdout = (chunk: Buffer): void => this.#onData('stdout', chunk);
  readonly #onStderr = (chunk: Buffer): void => this.#onData('stderr', chunk);
  /** The command ran `exit`: a fresh bash waits on the same transport (see `Session.open`). */
  #exited = false;
  /** Who holds the transport paused: the output readable, slow stream() consumers. */
  readonly #pausedBy = new Set<object>();
  readonly #timers: SuspendableTimers;

  private constructor(transport: ShellTransport, options: SessionOpenOptions) {
    this.#transport = transport;
    this.#options = options;
    this.#timers = options.timers ?? new SuspendableTimers();
    this.#closedPromise = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    transport.stdout.on('data', this.#onStdout);
    transport.stderr.on('data', this.#onStderr);
    // A write to a shell that just died fails with EPIPE; `closed` reports the death itself. Once
    // per transport: sessions follow one another on it (restart(), a pool's recycle).
    if (!transport.stdin.listeners('error').includes(ignoreError)) transport.stdin.on('error', ignoreError);
    void transport.closed.then((info) => this.#onClosed(info));
    this.#queue.on('active', () => transport.ref?.());
    this.#queue.on('idle', () => transport.unref?.());
  }

  /**
   * Starts a session on a freshly started bash: sends the prelude and waits until bash answers.
   * Output before the answer (e.g. bytes a transport leaked into bash's input) is discarded.
   * @throws SessionClosedError if bash ends or does not answer in time.
   */
  static async open(transport: ShellTransport, options: SessionOpenOptions = {}): Promise<Session> {
    // The tag is written into every frame unquoted.
    if (options.tag !== undefined && !(typeof options.tag === 'string' && TAG_PATTERN.test(options.tag))) {
      throw new InvalidArgumentError('tag', 'a letter, then letters, digits or _', options.tag);
    }
    const session = new Session(transport, options);
    const readyId = uuidv4();
    const timeoutMs = options.readyTimeoutMs ?? 30_000;
    let timer: SuspendableTimer | undefined;
    try {
      const pid = await new Promise<number | null>((resolve, reject) => {
        session.#current = new InFlight(readyId, 0, '(session prelude)', undefined, resolve, reject);
        timer = session.#timers.setTimeout(
          () => reject(new SessionClosedError({ reason: 'transport-error', detail: `bash did not answer within ${timeoutMs} ms` })),
          timeoutMs,
        );
        session.#write(sessionPrelude(readyId));
      });
      session.#shellPid = pid ?? 0;
      if (options.detectOom) session.#oomKills = await session.#probeOom();
    } catch (error) {
      session.#current = undefined;
      throw error;
    } finally {
      timer?.clear();
    }
    transport.unref?.();
    return session;
  }

  /**
   * Takes over a shell that an earlier session handed over (`handOver()`), on a new transport to
   * the same bash: its state is as that session left it. The shell waits inside its command loop,
   * where anything a transport leaked into its input would be misread as a message length: a bare
   * newline first makes the loop give up its read (whatever came before it), and the first message
   * then comes as shell input, as after a start. Resolves once the shell has answered.
   * @throws SessionClosedError if the shell ends or does not answer within `readyTimeoutMs`.
   */
  static async resume(transport: ShellTransport, handOver: HandOver, options: SessionOpenOptions = {}): Promise<Session> {
    const session = new Session(transport, options);
    session.#shellPid = handOver.shellPid;
    session.#tasks = handOver.tasks;
    const timeoutMs = options.readyTimeoutMs ?? 30_000;
    session.#write('\n');
    const answered = session.#control(null);
    let timer: SuspendableTimer | undefined;
    const late = new Promise<never>((_resolve, reject) => {
      timer = session.#timers.setTimeout(
        () => reject(new SessionClosedError({ reason: 'transport-error', detail: `the shell did not answer within ${timeoutMs} ms` })),
        timeoutMs,
      );
    });
    try {
      await Promise.race([answered, late]);
      if (options.detectOom) session.#oomKills = await session.#probeOom();
    } catch (error) {
      session.destroy({ reason: 'transport-error', detail: (error as Error).message });
      throw error;
    } finally {
      timer?.clear();
    }
    transport.unref?.();
    return session;
  }

  /**
   * What the next session must know, when no command is running or queued (the shell then waits in
   * its loop or at its top level, where `Session.resume()` finds it either way); undefined otherwise.
   * For a shell that cannot answer a hand-over message now (frozen): it keeps no idle limit.
   */
  get restingState(): HandOver | undefined {
    if (this.#current || this.#queue.size > 0 || this.#queue.pending > 0) return undefined;
    return { shellPid: this.#shellPid, tasks: this.#tasks };
  }

  /**
   * After the commands already queued, leaves the shell waiting in its command loop for whoever
   * takes it over next (`Session.resume()`), at most `idleTimeoutS` seconds (then bash exits; null
   * for no limit), and resolves with what the next session needs to know. The caller then ends this
   * session (`destroy()`) and its transport.
   */
  async handOver(idleTimeoutS: number | null): Promise<HandOver> {
    await this.#control(idleTimeoutS);
    return { shellPid: this.#shellPid, tasks: this.#tasks };
  }

  /** An empty message through the queue: it changes nothing of the user's (not even `$?`), and sets the loop's idle limit. */
  #control(idleTimeoutS: number | null): Promise<void> {
    const frame = frameCommand('', { idleTimeoutS });
    return this.#queue.add(async () => {
      if (this.#closeInfo) throw new SessionClosedError(this.#closeInfo);
      await this.#roundTrip('(session hand-over)', frame, undefined, {});
    });
  }

  /** Resolves, saying why, once the session has ended. */
  get closed(): Promise<SessionCloseInfo> {
    return this.#closedPromise;
  }

  /**
   * Stops the countdown of every timeout of the session (a running command's `timeoutMs`, the grace
   * after an interrupt, the ready timeout) where it is, for as long as the shell is frozen; timers
   * started meanwhile wait too. Idempotent. Shared with every session given the same `timers`.
   */
  suspendTimers(): void {
    this.#timers.suspend();
  }

  /** Lets the timeouts run down again, each with the time it had left. Idempotent. */
  resumeTimers(): void {
    this.#timers.resume();
  }

  /** True between `suspendTimers()` and `resumeTimers()`. */
  get areTimersSuspended(): boolean {
    return this.#timers.isSuspended;
  }

  /** Resolves when no command is running or queued. */
  async drain(): Promise<void> {
    await this.#queue.onIdle();
  }

  /** Why the session ended, once it has; undefined while it is open. */
  get closeInfo(): SessionCloseInfo | undefined {
    return this.#closeInfo;
  }

  /**
   * True once a command has run `exit`: the session is over, but the shell process lives on as a
   * fresh bash on the same transport, so `Session.open()` on it starts a new session.
   */
  get isRestartable(): boolean {
    return this.#exited;
  }

  /** True once the session has ended (`closeInfo` says why). */
  get isClosed(): boolean {
    return this.#closeInfo !== undefined;
  }

  /** bash's process id, as bash sees it (in its container's PID namespace). */
  get shellPid(): number {
    return this.#shellPid;
  }

  /** Commands waiting to start (not counting the one running). */
  get pendingCount(): number {
    return this.#queue.size;
  }

  /** Commands running or waiting: 0 when the shell is idle between commands. */
  get busyCount(): number {
    return this.#queue.size + this.#queue.pending;
  }

  /**
   * Runs `task` in the command queue, after the commands queued before it and before those queued
   * after it: the shell stays between commands while it runs (a snapshot captures the sandbox then).
   */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.#queue.add(task) as Promise<T>;
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
    // A consumer slower than the shell holds the shell back instead of filling memory.
    const holder = {};
    const events = new EventQueue<CommandEvent>({ onPressure: (full) => this.#hold(holder, full) });
    this.#enqueue(command, options, (chunk) => events.push(chunk))
      .then(
        (result) => {
          events.push({ type: 'result', result });
          events.end();
        },
        (error: unknown) => events.end(error, true),
      )
      .finally(() => this.#hold(holder, false));
    return events;
  }

  /** Pauses the transport while anyone holds it; resumes when the last lets go. */
  #hold(holder: object, held: boolean): void {
    const wasPaused = this.#pausedBy.size > 0;
    if (held) this.#pausedBy.add(holder);
    else this.#pausedBy.delete(holder);
    const paused = this.#pausedBy.size > 0;
    if (paused !== wasPaused) {
      if (paused) this.#transport.pause?.();
      else this.#transport.resume?.();
    }
  }

  /** Writes to the session-wide readable, holding the shell back while its reader is behind. */
  #emit(chunk: Buffer): void {
    const output = this.#output;
    if (!output || output.write(chunk) || this.#pausedBy.has(output)) return;
    this.#hold(output, true);
    output.once('drain', () => this.#hold(output, false));
  }

  /**
   * Ends the session from this side: the running command and every queued one reject with
   * `SessionClosedError` carrying `info`. Idempotent. Ending the transport is the caller's job.
   */
  destroy(info: SessionCloseInfo): void {
    this.#onClosed(info);
  }

  #enqueue(command: string, options: RunOptions, onChunk: ((chunk: OutputChunk) => void) | undefined): Promise<CommandResult> {
    let frame: Frame;
    try {
      if (typeof command !== 'string') throw new InvalidArgumentError('command', 'a string', command);
      checkRunOptions(options);
      frame = frameCommand(command, frameOptions(options));
    } catch (error) {
      return Promise.reject(error);
    }
    const { signal } = options;
    let started = false;
    const task = this.#queue.add(() => {
      started = true;
      return this.#execute(command, frame, options, onChunk);
    });
    if (!signal) return task;
    // Not p-queue's own `signal`: it rejects a task that is already running, and moves the queue on
    // while the shell is still busy with it. Here a running command is interrupted and resolves.
    return new Promise<CommandResult>((resolve, reject) => {
      const onAbort = () => {
        if (!started) reject(new CommandCanceledError(command, { cause: signal.reason }));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      task.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  async #execute(command: string, frame: Frame, options: RunOptions, onChunk: ((chunk: OutputChunk) => void) | undefined): Promise<CommandResult> {
    if (this.#closeInfo) throw new SessionClosedError(this.#closeInfo, { command });
    if (options.signal?.aborted) throw new CommandCanceledError(command, { cause: options.signal.reason });
    const output = new CommandOutput(options, onChunk);
    const { exitCode, inFlight } = await this.#roundTrip(command, frame, output, options);
    const oomKilled = exitCode === 137 && this.#options.detectOom === true && (await this.#oomKillerActed());
    const result: CommandResult = {
      command,
      exitCode: reportedExitCode(exitCode, inFlight.interrupted),
      ...output.collect(),
      durationMs: performance.now() - inFlight.startedAt,
      timedOut: inFlight.interrupted === 'timeout',
      canceled: inFlight.interrupted === 'abort',
      oomKilled,
    };
    if (options.check && (result.exitCode !== 0 || result.timedOut || result.canceled)) throw new CommandFailedError(result);
    return result;
  }

  /** Sends one framed command and waits for both sentinels, interrupting it on timeout or abort. */
  async #roundTrip(
    command: string,
    frame: Frame,
    output: CommandOutput | undefined,
    options: Pick<RunOptions, 'timeoutMs' | 'signal'>,
  ): Promise<{ exitCode: number | null; inFlight: InFlight }> {
    let inFlight!: InFlight;
    const { signal, timeoutMs } = options;
    const onAbort = () => this.#interrupt(inFlight, 'abort');
    try {
      const exitCode = await new Promise<number | null>((resolve, reject) => {
        inFlight = new InFlight(uuidv4(), ++this.#tasks, command, output, resolve, reject);
        this.#current = inFlight;
        if (timeoutMs !== undefined && timeoutMs !== Infinity) {
          inFlight.timers.push(this.#timers.setTimeout(() => this.#interrupt(inFlight, 'timeout'), timeoutMs));
        }
        signal?.addEventListener('abort', onAbort, { once: true });
        this.#write(frame(inFlight.id, this.#taskTag(inFlight.task), this.#topLevel));
      });
      return { exitCode, inFlight };
    } finally {
      signal?.removeEventListener('abort', onAbort);
      for (const timer of inFlight.timers) timer.clear();
    }
  }

  /** Kills a running command's processes through the control channel; gives the shell up if it stays busy. */
  #interrupt(inFlight: InFlight, why: Interruption): void {
    if (inFlight !== this.#current || inFlight.interrupted || inFlight.isComplete) return;
    inFlight.interrupted = why;
    const control = this.#options.control;
    const graceMs = this.#options.interruptGraceMs ?? 2000;
    // The grace period starts once the kill has run: a slow `docker exec` must not use it up.
    const startGrace = () => {
      if (inFlight === this.#current && !inFlight.isComplete) inFlight.timers.push(this.#timers.setTimeout(() => this.#giveUp(inFlight), graceMs));
    };
    if (!control) return void startGrace();
    inFlight.timers.push(this.#timers.setTimeout(() => this.#giveUp(inFlight), INTERRUPT_CAP_MS));
    const { task, startedAt } = inFlight;
    const target = { shellPid: this.#shellPid, task, tag: this.#taskTag(task), sessionTag: this.#options.tag, elapsedMs: performance.now() - startedAt };
    // A kill that fails (e.g. no process slot left for it) is judged by the grace period too.
    control
      .interrupt(target)
      .catch(() => {})
      .finally(startGrace);
  }

  /** What a task's programs carry as `__ds_t`: unique among the sessions of one sandbox when they have tags. */
  #taskTag(task: number): string {
    return this.#options.tag === undefined ? String(task) : `${this.#options.tag}.${task}`;
  }

  #giveUp(inFlight: InFlight): void {
    if (inFlight !== this.#current || inFlight.isComplete) return;
    const what = inFlight.interrupted === 'timeout' ? 'timed out' : 'was canceled';
    const info: SessionCloseInfo = {
      reason: 'unresponsive',
      detail: `bash did not come back after the command ${what} and its processes were killed (bash itself was busy, e.g. a shell loop), so the sandbox was given up`,
    };
    this.#onClosed(info);
    this.#options.control?.abandon(info);
  }

  /** The sandbox's OOM-kill count, or undefined when the cgroup does not say. */
  async #probeOom(): Promise<number | undefined> {
    const output = new CommandOutput({ maxOutputBytes: 4096 });
    await this.#roundTrip('(oom probe)', frameCommand(OOM_PROBE), output, {});
    return parseOomCount(output.collect().stdout);
  }

  async #oomKillerActed(): Promise<boolean> {
    const before = this.#oomKills;
    const after = await this.#probeOom().catch(() => undefined);
    this.#oomKills = after;
    return before !== undefined && after !== undefined && after > before;
  }

  #write(data: string | Buffer): void {
    this.#transport.stdin.write(data);
  }

  #onData(stream: StreamName, chunk: Buffer): void {
    const current = this.#current;
    const scanner = current && (stream === 'stdout' ? current.stdoutScanner : current.stderrScanner);
    if (!current || !scanner || scanner.isDone) {
      this.#emit(chunk);
      return;
    }
    const result: ScanResult = scanner.push(chunk);
    for (const piece of result.output) {
      if (!current.output) continue;
      current.output.add(stream, piece);
      this.#emit(piece);
    }
    if (!result.done) return;
    if (stream === 'stdout') {
      current.exitCode = result.done.exitCode;
      this.#topLevel = result.done.topLevel;
      this.#exited = result.done.exited;
    }
    if (result.done.rest.length > 0) this.#emit(result.done.rest);
    if (!current.isComplete) return;
    if (this.#exited) {
      const status = current.exitCode ?? 0;
      this.#onClosed({ reason: 'shell-exited', detail: `bash exited with status ${status}`, exitCode: status });
      return;
    }
    this.#current = undefined;
    current.resolve(current.exitCode);
  }

  #onClosed(info: SessionCloseInfo): void {
    if (this.#closeInfo) return;
    this.#closeInfo = info;
    this.#transport.stdout.removeListener?.('data', this.#onStdout);
    this.#transport.stderr.removeListener?.('data', this.#onStderr);
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
      const texts = current.output?.collect();
      current.reject(
        new SessionClosedError(info, {
          command: current.command,
          stdout: texts?.stdout,
          stderr: texts?.stderr,
          timedOut: current.interrupted === 'timeout',
          canceled: current.interrupted === 'abort',
        }),
      );
    }
    this.#output?.end();
  }
}
