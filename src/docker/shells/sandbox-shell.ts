/**
 * SandboxShell: one more bash session in a runner's sandbox, beside the runner's own.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
import { InvalidArgumentError, type SessionCloseInfo } from '../../errors.js';
import { checkOptionsObject, checkStringRecord } from '../../option-checks.js';
import type { CommandResult, RunOptions } from '../../session/command-result.js';
import { checkRunOptions } from '../../session/run-options.js';
import { Session, type CommandEvent } from '../../session/session.js';
import type { SuspendableTimers } from '../../session/suspendable-timers.js';
import { dockerError } from '../docker-client.js';
import { execInContainer } from '../exec.js';
import type { Hold } from '../pause/hold.js';
import type { ResolvedSandbox } from '../sandbox-options.js';
import { killControl, tagEntry } from '../session-control.js';
import { execShell } from './exec-shell.js';
import { stopShellCommand } from './stop-script.js';

/**
 * Options of `runner.openShell()`. Every field is optional.
 *
 * @example
 * ```ts
 * const options: ShellOptions = { env: { STAGE: 'test' }, timeoutMs: 60_000 };
 * await using shell = await runner.openShell(options);
 * ```
 */
export interface ShellOptions {
  /** Environment variables of this shell, on top of the sandbox's `env`. Default: none. */
  env?: Record<string, string>;
  /** Default `timeoutMs` of this shell's commands. Default: the runner's `timeoutMs`. */
  timeoutMs?: number;
  /** Default `maxOutputBytes` of this shell's commands. Default: the runner's `maxOutputBytes`. */
  maxOutputBytes?: number;
}

const SHELL_OPTION_NAMES = ['env', 'timeoutMs', 'maxOutputBytes'];

/** Checks `openShell()` options where they enter. */
export function checkShellOptions(options: ShellOptions): void {
  checkOptionsObject(options, SHELL_OPTION_NAMES, 'openShell()');
  checkStringRecord(options.env, 'env');
  checkRunOptions({ timeoutMs: options.timeoutMs, maxOutputBytes: options.maxOutputBytes });
}

/** What a shell needs of its runner. */
export interface ShellContext {
  docker: Dockerode;
  container: Dockerode.Container;
  sandbox: ResolvedSandbox;
  /** The runner's command defaults (timeoutMs, maxOutputBytes). */
  defaults: RunOptions;
  /** How long bash may take to answer. */
  readyTimeoutMs: number | undefined;
  /** The clock of the shell's timeouts, suspended while the sandbox is paused. Default: its own. */
  timers?: SuspendableTimers;
  /** Runs an engine call that starts a process in the sandbox once it is not paused. Default: at once. */
  hold?: Hold;
}

/**
 * Another bash session in a runner's sandbox, from `runner.openShell()`: its own working directory,
 * variables, functions and command queue; the same files, processes and limits as the runner's
 * session. Commands in different shells run at the same time; in one shell, one after another.
 * `run()` and `stream()` take the runner's options and give its results; a timeout or cancel kills
 * only this shell's command. Ends with `close()`, `stop()`, an `exit` in it, or the runner's end.
 *
 * @example
 * ```ts
 * await using shell = await runner.openShell();
 * const watcher = shell.run('until [ -e ready ]; do sleep 0.1; done; echo seen'); // waits in the shell...
 * await runner.run('touch ready'); // ...while the runner's session goes on
 * console.log((await watcher).stdout); // 'seen\n'
 * ```
 */
export class SandboxShell implements AsyncDisposable {
  readonly #session: Session;
  readonly #socket: Duplex;
  readonly #defaults: RunOptions;
  readonly #kill: () => Promise<void>;
  #stopping: Promise<void> | undefined;

  private constructor(session: Session, socket: Duplex, defaults: RunOptions, kill: () => Promise<void>) {
    this.#session = session;
    this.#socket = socket;
    this.#defaults = defaults;
    this.#kill = kill;
    // Once bash is gone, so is the connection (a background job may hold bash's stdout open).
    void session.closed.then(() => socket.destroy());
  }

  /** @internal Starts bash with `docker exec` and opens a session on it; `runner.openShell()` is the way in. */
  static async open(context: ShellContext, tag: string, options: ShellOptions): Promise<SandboxShell> {
    const { container, sandbox } = context;
    const env = [...Object.entries({ ...sandbox.env, ...options.env }).map(([key, value]) => `${key}=${value}`), tagEntry(tag)];
    const { transport, socket } = await execShell(container, { user: sandbox.user, workdir: sandbox.workdir, env }).catch((error: unknown) => {
      throw dockerError(context.docker, 'start a shell in the container', error);
    });
    const hold = context.hold ?? ((start) => start());
    const kill = () => hold(() => execInContainer(container, stopShellCommand(tag), sandbox.user));
    let shell: SandboxShell | undefined;
    const control = killControl(container, sandbox.user, () => void shell?.stop().catch(() => {}), hold);
    try {
      const session = await Session.open(transport, { readyTimeoutMs: context.readyTimeoutMs, control, tag, timers: context.timers });
      const defaults = { ...context.defaults };
      for (const key of ['timeoutMs', 'maxOutputBytes'] as const) if (options[key] !== undefined) defaults[key] = options[key];
      shell = new SandboxShell(session, socket, defaults, kill);
      return shell;
    } catch (error) {
      socket.destroy();
      await kill().catch(() => {});
      throw error;
    }
  }

  /** Resolves, saying why, once the shell has ended. Never rejects. */
  get closed(): Promise<SessionCloseInfo> {
    return this.#session.closed;
  }

  /** True until the shell ends. */
  get isOpen(): boolean {
    return !this.#session.isClosed;
  }

  /**
   * Runs `command` in this shell and resolves with its result, as `runner.run()` does.
   * @example
   * const { stdout } = await shell.run('pwd');
   */
  run(command: string, options: RunOptions = {}): Promise<CommandResult> {
    try {
      return this.#session.run(command, this.#runOptions(command, options));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Runs `command` in this shell and yields its output as it arrives, then the result, as
   * `runner.stream()` does.
   * @example
   * for await (const event of shell.stream('make')) if (event.type !== 'result') process.stdout.write(event.data);
   */
  stream(command: string, options: RunOptions = {}): AsyncIterableIterator<CommandEvent> {
    let merged: RunOptions;
    try {
      merged = this.#runOptions(command, options);
    } catch (error) {
      // eslint-disable-next-line require-yield -- an iterator whose first next() rejects
      return (async function* (): AsyncGenerator<CommandEvent> {
        throw error;
      })();
    }
    return this.#session.stream(command, merged);
  }

  /**
   * Ends the shell gracefully: waits for its queued commands, then closes bash's input, so bash exits
   * by itself (background jobs it started run on). The runner and its other shells go on.
   * Use `stop()` to end at once.
   */
  async close(): Promise<void> {
    if (this.#stopping) return this.#stopping;
    if (this.#session.isClosed) return;
    // An idle shell lets the process exit; closing is work the caller waits for.
    (this.#socket as Partial<Pick<Socket, 'ref'>>).ref?.();
    await this.#session.drain();
    this.#socket.end();
    await this.#session.closed;
  }

  /**
   * Ends the shell at once: its running and queued commands reject with `SessionClosedError`
   * (reason `'stopped'`), and its processes (its bash, what it runs, the background jobs it started)
   * are killed. Idempotent. The runner and its other shells go on.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  /** `stop()`, for `await using shell = await runner.openShell()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** @internal The runner ended: commands reject with `info`; the container's end takes the processes. */
  destroy(info: SessionCloseInfo): void {
    this.#session.destroy(info);
    this.#socket.destroy();
  }

  async #stop(): Promise<void> {
    const wasOpen = !this.#session.isClosed;
    this.#session.destroy({ reason: 'stopped', detail: 'the shell was stopped' });
    if (wasOpen) await this.#kill().catch(() => {});
    this.#socket.destroy();
  }

  #runOptions(command: string, options: RunOptions): RunOptions {
    if (typeof command !== 'string') throw new InvalidArgumentError('command', 'a string', command);
    checkRunOptions(options);
    const merged: Record<string, unknown> = { ...this.#defaults };
    for (const [key, value] of Object.entries(options)) if (value !== undefined) merged[key] = value;
    return merged as RunOptions;
  }
}
