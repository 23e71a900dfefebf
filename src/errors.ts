/**
 * One error hierarchy for everything a user of docker-shell can hit.
 *
 * Every class has a stable string `code`, and `instanceof` is a brand check (not a prototype check),
 * so it holds across duplicate installs of this package.
 */
import type { CommandResult } from './session/command-result.js';

const brand = Symbol.for('docker-shell.error');

/** Stable codes, one per error class. */
export type ErrorCode =
  | 'ERR_DOCKER_SHELL'
  | 'ERR_COMMAND_FAILED'
  | 'ERR_COMMAND_CANCELED'
  | 'ERR_SESSION_CLOSED'
  | 'ERR_DOCKER_API'
  | 'ERR_DOCKER_UNAVAILABLE'
  | 'ERR_IMAGE_NOT_FOUND'
  | 'ERR_START_FAILED'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_IMAGE_BUILD'
  | 'ERR_BASE_IMAGE_BUILD'
  | 'ERR_FILE_NOT_FOUND'
  | 'ERR_FILE_PERMISSION'
  | 'ERR_FILE_TYPE'
  | 'ERR_ARCHIVE_LIMIT'
  | 'ERR_UNSAFE_ARCHIVE'
  | 'ERR_FILE_TRANSFER'
  | 'ERR_SPAWN_FAILED'
  | 'ERR_PORT_IN_USE'
  | 'ERR_PORT_FORWARD'
  | 'ERR_POOL_QUEUE_FULL'
  | 'ERR_POOL_ACQUIRE_TIMEOUT'
  | 'ERR_POOL_ACQUIRE_CANCELED'
  | 'ERR_POOL_CLOSED'
  | 'ERR_POOL_UNAVAILABLE'
  | 'ERR_SHELL_LIMIT'
  | 'ERR_SANDBOX_NOT_FOUND'
  | 'ERR_SANDBOX_HELD'
  // hibernate (runsc checkpoint/restore)
  | 'ERR_HIBERNATE_UNSUPPORTED'
  | 'ERR_CHECKPOINT_FAILED'
  | 'ERR_SANDBOX_BUSY'
  | 'ERR_SNAPSHOT_NOT_FOUND'
  | 'ERR_SNAPSHOT_FAILED'
  // RunnerPool policy 'recycle'
  | 'ERR_RECYCLE_BASELINE';

function isBranded(value: unknown, code: ErrorCode | undefined): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as { [brand]?: unknown; code?: unknown };
  return record[brand] === true && (code === undefined || record.code === code);
}

/**
 * Base class of every error docker-shell throws on purpose (`InvalidArgumentError`, a `TypeError`,
 * is one by brand). `code` tells the classes apart without importing them.
 *
 * @example
 * ```ts
 * try {
 *   await runner.run('make', { check: true });
 * } catch (error) {
 *   if (!(error instanceof DockerShellError)) throw error;
 *   console.error(error.code, error.message); // e.g. ERR_COMMAND_FAILED
 * }
 * ```
 */
export class DockerShellError extends Error {
  /** The code of the class's errors, to compare with without an instance: `error.code === CommandFailedError.code`. */
  static readonly code: ErrorCode = 'ERR_DOCKER_SHELL';
  /** Stable string naming the error's class, e.g. `'ERR_COMMAND_FAILED'`: safe to switch on, it does not change between versions. */
  readonly code: ErrorCode;
  /** @internal */
  declare readonly [brand]: true;

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
    Object.defineProperty(this, brand, { value: true });
  }

  /**
   * A brand check, not a prototype check: true for this class's errors from any copy of
   * docker-shell, so `instanceof` holds when a program ends up with two installs of it.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isBranded(value, this === DockerShellError ? undefined : this.code);
  }
}

/** Shortens a command for a one-line message; the full text is on the error's `command` field. */
export function describeCommand(command: string): string {
  const firstLine = command.split('\n', 1)[0] ?? '';
  const short = firstLine.length > 80 ? `${firstLine.slice(0, 77)}...` : firstLine;
  return command.includes('\n') && short === firstLine ? `${short} ...` : short;
}

/**
 * A command finished with a non-zero exit code (or timed out, or was canceled) and the caller asked
 * for `check: true`. Carries the whole result, field by field as `CommandResult` has them, so a
 * caller reads `exitCode` and `stderr` the same way on success and on failure.
 *
 * @example
 * ```ts
 * try {
 *   await runner.run('grep -q needle haystack.txt', { check: true });
 * } catch (error) {
 *   if (!(error instanceof CommandFailedError)) throw error;
 *   console.error(`exit ${error.exitCode}${error.timedOut ? ' (timed out)' : ''}:`, error.stderr);
 * }
 * ```
 */
export class CommandFailedError extends DockerShellError implements CommandResult {
  static override readonly code = 'ERR_COMMAND_FAILED' as const;
  declare readonly code: 'ERR_COMMAND_FAILED';
  /** The result itself: the same object `run()` would have resolved with. */
  readonly result: CommandResult;
  readonly command: string;
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly output: string;
  readonly durationMs: number;
  readonly timedOut: boolean;
  readonly canceled: boolean;
  readonly oomKilled: boolean;
  readonly truncated: boolean;
  readonly droppedBytes: number;

  constructor(result: CommandResult) {
    const tail = result.stderr.trimEnd().split('\n').slice(-3).join('\n');
    const how = result.timedOut
      ? `timed out and was killed (exit code ${result.exitCode})`
      : result.canceled
        ? `was canceled and killed (exit code ${result.exitCode})`
        : `exited with code ${result.exitCode}${result.oomKilled ? ' (the OOM killer acted: raise `memory`)' : ''}`;
    super(
      'ERR_COMMAND_FAILED',
      `Command \`${describeCommand(result.command)}\` ${how}` +
        (tail ? `:\n${tail}` : '.') +
        '\n(The full result is on this error; run without `check: true` to get it as a value.)',
    );
    this.result = result;
    this.command = result.command;
    this.exitCode = result.exitCode;
    this.stdout = result.stdout;
    this.stderr = result.stderr;
    this.output = result.output;
    this.durationMs = result.durationMs;
    this.timedOut = result.timedOut;
    this.canceled = result.canceled;
    this.oomKilled = result.oomKilled;
    this.truncated = result.truncated;
    this.droppedBytes = result.droppedBytes;
  }
}

/**
 * A queued command's `signal` was aborted before it started: it never ran. (A command aborted while
 * it runs is killed and resolves, with `canceled: true` on its result.) `cause` is the signal's reason.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * void runner.run('sleep 5');
 * const queued = runner.run('echo never', { signal: controller.signal });
 * controller.abort();
 * await queued.catch((error) => console.log(error instanceof CommandCanceledError)); // true
 * ```
 */
export class CommandCanceledError extends DockerShellError {
  static override readonly code = 'ERR_COMMAND_CANCELED' as const;
  declare readonly code: 'ERR_COMMAND_CANCELED';
  /** The command that did not run. */
  readonly command: string;

  constructor(command: string, options?: ErrorOptions) {
    super('ERR_COMMAND_CANCELED', `Command \`${describeCommand(command)}\` was canceled before it started; it did not run.`, options);
    this.command = command;
  }
}

/** Why a session ended. */
export type CloseReason =
  /** bash exited by itself (`exit`, `exec`, end of input). */
  | 'shell-exited'
  /** bash or its container was killed by a signal, e.g. `kill -9 $$` or `docker kill`. */
  | 'shell-killed'
  /** The container was removed or vanished from outside. */
  | 'container-gone'
  /** The connection to the shell failed (e.g. the Docker daemon went away). */
  | 'transport-error'
  /**
   * A command was timed out or canceled, its processes were killed, and bash still did not answer
   * (bash itself was busy, e.g. `while :; do :; done`): the session was given up.
   */
  | 'unresponsive'
  /**
   * The sandbox wrote more than its `disk` bound to a writable root (the engine has no quota for
   * it, so a watchdog measured it): the container was removed, and the host's disk got it all back.
   */
  | 'disk-limit'
  /** The owner called `stop()` / `close()`. */
  | 'stopped'
  /** The owner called `detach()`: the sandbox runs on, and `DockerRunner.connect(id)` resumes its session. */
  | 'detached'
  /** The sandbox reached its `lifetimeMs`, and was removed. */
  | 'expired'
  /** The owner called `hibernate()`: the sandbox sleeps on disk, and `DockerRunner.connect(id)` wakes it. */
  | 'hibernated';

/** What is known about the end of a session. */
export interface SessionCloseInfo {
  /** Why it ended. */
  reason: CloseReason;
  /** Human-readable detail, e.g. "bash exited with status 3". */
  detail: string;
  /** The shell's (or container's) exit status, when known. */
  exitCode?: number | null;
  /** The signal that ended the shell, when known. */
  signal?: string | null;
}

/**
 * The shell session is gone: a command could not finish, or `run()` was called after the end.
 * The shell's state is lost with it; a new runner is needed to go on.
 *
 * @example
 * ```ts
 * const result = await runner.run('exit 7').catch((error: unknown) => {
 *   if (error instanceof SessionClosedError && error.reason === 'shell-exited') return undefined; // error.exitCode === 7
 *   throw error;
 * });
 * ```
 */
export class SessionClosedError extends DockerShellError implements SessionCloseInfo {
  static override readonly code = 'ERR_SESSION_CLOSED' as const;
  declare readonly code: 'ERR_SESSION_CLOSED';
  /** Why the session ended. */
  readonly reason: CloseReason;
  /** Human-readable detail, e.g. "bash exited with status 3". */
  readonly detail: string;
  /** The shell's (or container's) exit status; null when unknown. */
  readonly exitCode: number | null;
  /** The signal that ended the shell; null when unknown or none. */
  readonly signal: string | null;
  /** The command that was running or queued; undefined when none was. */
  readonly command: string | undefined;
  /** What that command had written to stdout before the end. */
  readonly stdout: string;
  /** What that command had written to stderr before the end. */
  readonly stderr: string;
  /** The command had timed out (its processes were killed) when the session ended. */
  readonly timedOut: boolean;
  /** The command had been canceled (its processes were killed) when the session ended. */
  readonly canceled: boolean;

  constructor(
    info: SessionCloseInfo,
    context: { command?: string; stdout?: string; stderr?: string; timedOut?: boolean; canceled?: boolean } = {},
    options?: ErrorOptions,
  ) {
    const about = context.command === undefined ? '' : ` (command: \`${describeCommand(context.command)}\`)`;
    const advice =
      info.reason === 'stopped'
        ? 'Start a new runner to run more commands.'
        : info.reason === 'detached' || info.reason === 'hibernated'
          ? 'The sandbox keeps its state: `DockerRunner.connect(id)` resumes it.'
          : 'The shell state (cwd, variables) is lost; start a new runner to continue.';
    super('ERR_SESSION_CLOSED', `The shell session is closed: ${info.detail}${about}. ${advice}`, options);
    this.reason = info.reason;
    this.detail = info.detail;
    this.exitCode = info.exitCode ?? null;
    this.signal = info.signal ?? null;
    this.command = context.command;
    this.stdout = context.stdout ?? '';
    this.stderr = context.stderr ?? '';
    this.timedOut = context.timedOut ?? false;
    this.canceled = context.canceled ?? false;
  }
}

/**
 * The Docker engine answered with an error. `cause` is dockerode's error.
 *
 * @example
 * ```ts
 * await runner.start().catch((error: unknown) => {
 *   if (error instanceof DockerApiError && error.statusCode === 409) console.error('conflict:', error.operation);
 *   throw error;
 * });
 * ```
 */
export class DockerApiError extends DockerShellError {
  static override readonly code = 'ERR_DOCKER_API' as const;
  declare readonly code: 'ERR_DOCKER_API';
  /** What docker-shell asked the engine to do, e.g. `'create a container from debian:bookworm'`. */
  readonly operation: string;
  /** The engine's HTTP status; undefined when the failure had none. */
  readonly statusCode: number | undefined;

  constructor(operation: string, cause: unknown) {
    const statusCode = (cause as { statusCode?: unknown } | null)?.statusCode;
    const reason = (cause as { json?: { message?: unknown } } | null)?.json?.message ?? (cause as Error)?.message;
    super('ERR_DOCKER_API', `Docker failed to ${operation}: ${String(reason)}`, { cause });
    this.operation = operation;
    this.statusCode = typeof statusCode === 'number' ? statusCode : undefined;
  }
}

/**
 * No Docker engine answered at the configured address. `cause` is the connection error.
 *
 * @example
 * ```ts
 * const runner = await DockerRunner.start({ docker: { socketPath: '/run/user/1000/docker.sock' } }).catch((error: unknown) => {
 *   if (error instanceof DockerUnavailableError) console.error(`no engine at ${error.address}`);
 *   throw error;
 * });
 * ```
 */
export class DockerUnavailableError extends DockerShellError {
  static override readonly code = 'ERR_DOCKER_UNAVAILABLE' as const;
  declare readonly code: 'ERR_DOCKER_UNAVAILABLE';
  /** Where the engine was expected: `unix:///var/run/docker.sock`, `https://10.0.0.2:2376`, or an endpoint's name. */
  readonly address: string;

  constructor(address: string, cause: unknown) {
    super(
      'ERR_DOCKER_UNAVAILABLE',
      `No Docker engine answers at ${address} (${(cause as Error)?.message ?? String(cause)}). ` +
        'Start Docker (as root on Debian: `bash scripts/ensure-docker.sh`), or point DOCKER_HOST or ' +
        'the `docker` option at an engine you can reach.',
      { cause },
    );
    this.address = address;
  }
}

/**
 * The image is not present locally and could not be pulled (pulling is off, or the pull failed).
 * The message says how to get it.
 *
 * @example
 * ```ts
 * await DockerRunner.start({ image: 'my/tool:1', pull: 'never' }).catch((error: unknown) => {
 *   if (error instanceof ImageNotFoundError) console.error(`build ${error.image} first`);
 *   throw error;
 * });
 * ```
 */
export class ImageNotFoundError extends DockerShellError {
  static override readonly code = 'ERR_IMAGE_NOT_FOUND' as const;
  declare readonly code: 'ERR_IMAGE_NOT_FOUND';
  /** The image reference, as given. */
  readonly image: string;

  constructor(image: string, hint: string, cause?: unknown) {
    super('ERR_IMAGE_NOT_FOUND', `Image ${image} is not present and could not be pulled. ${hint}`, { cause });
    this.image = image;
  }
}

/**
 * The container was created but the shell in it did not come up (no bash in the image, the
 * container would not start, bash did not answer within `startTimeoutMs`); nothing was left behind.
 *
 * @example
 * ```ts
 * await DockerRunner.start({ image: 'alpine:3' }).catch((error: unknown) => {
 *   if (error instanceof StartFailedError) console.error(`${error.image} has no bash?`, error.message);
 *   throw error;
 * });
 * ```
 */
export class StartFailedError extends DockerShellError {
  static override readonly code = 'ERR_START_FAILED' as const;
  declare readonly code: 'ERR_START_FAILED';
  /** The image the sandbox was made from. */
  readonly image: string;

  constructor(image: string, detail: string, cause?: unknown) {
    super('ERR_START_FAILED', `The sandbox from image ${image} did not start: ${detail}. The image must provide bash on its PATH.`, { cause });
    this.image = image;
  }
}

/**
 * A function got an argument or option it cannot use: a wrong type, an unknown option, a value out
 * of range. Thrown (or, from an async function, rejected with) before anything is done. The message
 * names the option, shows the value received with its type, and says what was expected:
 * ``Option `timeoutMs` must be a positive number of milliseconds up to 2147483647 (or Infinity for none); received number -5.``
 *
 * A `TypeError`, so code that catches those catches it, and also a `DockerShellError` by brand
 * (`instanceof DockerShellError` is true, `code` is `'ERR_INVALID_ARGUMENT'`).
 *
 * @example
 * ```ts
 * try {
 *   new DockerRunner({ timeoutMs: -5 });
 * } catch (error) {
 *   if (error instanceof InvalidArgumentError) console.error(error.option, error.message); // 'timeoutMs'
 * }
 * ```
 */
export class InvalidArgumentError extends TypeError {
  /** The code of the class's errors, as `DockerShellError.code`. */
  static readonly code = 'ERR_INVALID_ARGUMENT' as const;
  /** Always `'ERR_INVALID_ARGUMENT'`. */
  readonly code = 'ERR_INVALID_ARGUMENT' as const;
  /**
   * The offending option or argument, as the caller wrote it: `'timeoutMs'`, `'mounts[0].source'`,
   * `'runner.memory'`, `'command'`.
   */
  readonly option: string;
  /** @internal */
  declare readonly [brand]: true;

  constructor(option: string, expected: string, received: unknown) {
    super(`Option \`${option}\` must be ${expected}; received ${describeValue(received)}.`);
    this.name = 'InvalidArgumentError';
    this.option = option;
    Object.defineProperty(this, brand, { value: true });
    complaints.set(this, { expected, received });
  }

  /** A brand check, as `DockerShellError`'s: true for these errors from any copy of docker-shell. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isBranded(value, 'ERR_INVALID_ARGUMENT');
  }
}

/** What each InvalidArgumentError expected and received, kept off the public fields for `nestedArgumentError()`. */
const complaints = new WeakMap<InvalidArgumentError, { expected: string; received: unknown }>();

/**
 * The same complaint about an option of a nested object, named from the outside: `memory` of the
 * pool's `runner` option is `runner.memory`.
 */
export function nestedArgumentError(prefix: string, error: InvalidArgumentError): InvalidArgumentError {
  const complaint = complaints.get(error);
  return complaint ? new InvalidArgumentError(`${prefix}.${error.option}`, complaint.expected, complaint.received) : error;
}

/** The value received, with its type, in a few words: never a function's source or `[object Object]`. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)}`;
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'function') return value.name ? `a function (${value.name})` : 'a function';
  if (typeof value === 'bigint') return `bigint ${value}n`;
  if (typeof value === 'symbol') return `symbol ${value.toString()}`;
  if (typeof value !== 'object') return `${typeof value} ${String(value)}`;
  if (Array.isArray(value)) return `an array ${shortJson(value) ?? `of ${value.length} items`}`;
  const prototype: unknown = Object.getPrototypeOf(value);
  const className = prototype === null ? undefined : (prototype as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof className === 'string' && className !== 'Object') return `an object (${className})`;
  return `an object ${shortJson(value) ?? `with keys ${Object.keys(value).join(', ')}`}`;
}

function shortJson(value: object): string | undefined {
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return undefined;
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return undefined; // a cycle, a BigInt
  }
}

/** Where a failed image build stopped, as far as the engine's output tells. */
export interface ImageBuildFailure {
  /** The failing instruction as the builder printed it (e.g. `RUN make`); undefined when no step had started. */
  step: string | undefined;
  /** Its number (`2` of `Step 2/5`), when a step had started. */
  stepNumber: number | undefined;
  /** The Dockerfile's step count (`5` of `Step 2/5`), when a step had started. */
  totalSteps: number | undefined;
  /** The output lines of the failing step (the builder's own ` ---> ...` bookkeeping left out). */
  log: string[];
  /** The engine's error message. */
  detail: string;
  /** The exit code of a failing `RUN`, when the engine gave one. */
  exitCode: number | undefined;
}

/**
 * `buildImage()` failed: a step of the Dockerfile failed, or the engine refused the build (e.g. a
 * Dockerfile syntax error). The message quotes the failing step and the last lines of its log;
 * `log` has all of them (the last 2000).
 *
 * @example
 * ```ts
 * try {
 *   await buildImage(docker, { tag: 'my/app:1', dockerfile });
 * } catch (error) {
 *   if (!(error instanceof ImageBuildError)) throw error;
 *   console.error(`step ${error.stepNumber} (${error.step}) failed with exit code ${error.exitCode}:`);
 *   console.error(error.log.join('\n'));
 * }
 * ```
 */
export class ImageBuildError extends DockerShellError implements ImageBuildFailure {
  static override readonly code = 'ERR_IMAGE_BUILD' as const;
  declare readonly code: 'ERR_IMAGE_BUILD';
  /** The tag that was being built. */
  readonly tag: string;
  /** The failing instruction as the builder printed it (e.g. `RUN make`); undefined when no step had started. */
  readonly step: string | undefined;
  /** Its number (`2` of `Step 2/5`), when a step had started. */
  readonly stepNumber: number | undefined;
  /** The Dockerfile's step count (`5` of `Step 2/5`), when a step had started. */
  readonly totalSteps: number | undefined;
  /** The output lines of the failing step (the last 2000). */
  readonly log: string[];
  /** The engine's error message. */
  readonly detail: string;
  /** The exit code of a failing `RUN`, when the engine gave one. */
  readonly exitCode: number | undefined;

  constructor(tag: string, failure: ImageBuildFailure, options?: ErrorOptions) {
    const where = failure.step === undefined ? '' : ` at step ${failure.stepNumber ?? '?'}/${failure.totalSteps ?? '?'} \`${describeCommand(failure.step)}\``;
    const tail = failure.log.slice(-10);
    const fromFailed = failure.step !== undefined && /^FROM\s/i.test(failure.step);
    const advice = fromFailed
      ? 'The FROM image is not present locally and the engine could not pull it: build or load it first ' +
        '(the base image: `buildBaseImage()` or `npm run setup`).'
      : failure.step === undefined
        ? 'Fix the Dockerfile or the build options and build again.'
        : "Fix that step and build again (its whole log is on this error's `log`).";
    super(
      'ERR_IMAGE_BUILD',
      `Building image ${tag} failed${where}: ${failure.detail}` +
        (tail.length > 0 ? `\nLast lines of the step's log:\n${tail.map((line) => `  ${line}`).join('\n')}` : '') +
        `\n${advice}`,
      options,
    );
    this.tag = tag;
    this.step = failure.step;
    this.stepNumber = failure.stepNumber;
    this.totalSteps = failure.totalSteps;
    this.log = failure.log;
    this.detail = failure.detail;
    this.exitCode = failure.exitCode;
  }
}

/** Why the offline base image could not be built. */
export type BaseImageFailureReason =
  /** debootstrap needs root (it creates device nodes and chowns files). */
  | 'not-root'
  /** debootstrap is not installed, and this is not root on Debian, where the script installs it. */
  | 'no-debootstrap'
  /** The `docker` command-line client, which imports the root filesystem, is not on the PATH. */
  | 'no-docker-cli'
  /** `bash`, which runs the script, is not on the PATH. */
  | 'no-bash'
  /** The script ran and failed (e.g. debootstrap could not reach the Debian mirror): see `log`. */
  | 'script-failed';

/**
 * `buildBaseImage()` could not build the offline base image. `reason` says why; `log` holds the last
 * lines the script printed (empty when a check failed before it ran).
 *
 * @example
 * ```ts
 * await buildBaseImage().catch((error) => {
 *   if (error instanceof BaseImageBuildError && error.reason === 'not-root') console.error('run the setup as root');
 *   throw error;
 * });
 * ```
 */
export class BaseImageBuildError extends DockerShellError {
  static override readonly code = 'ERR_BASE_IMAGE_BUILD' as const;
  declare readonly code: 'ERR_BASE_IMAGE_BUILD';
  /** The tag that was to be built. */
  readonly tag: string;
  /** Why it could not be built. */
  readonly reason: BaseImageFailureReason;
  /** The script's exit code; null when it did not run (a check failed first) or was killed. */
  readonly exitCode: number | null;
  /** The last lines the script printed; empty when it did not run. */
  readonly log: string[];

  constructor(tag: string, reason: BaseImageFailureReason, context: { exitCode?: number | null; log?: string[] } = {}, options?: ErrorOptions) {
    const why: Record<BaseImageFailureReason, string> = {
      'not-root': 'debootstrap needs root (it creates device nodes and chowns files). Run it as root, e.g. `sudo npm run setup`',
      'no-debootstrap': 'debootstrap is not installed. Install it (Debian/Ubuntu: `apt-get install debootstrap`) and run again as root',
      'no-docker-cli':
        'the `docker` command-line client is not on the PATH; the script imports the root filesystem with `docker import`. Install it (as root on Debian, `bash scripts/ensure-docker.sh` does)',
      'no-bash': '`bash` is not on the PATH; the build script needs it',
      'script-failed': `scripts/build-base-image.sh failed${context.exitCode === undefined || context.exitCode === null ? '' : ` with exit code ${context.exitCode}`}. Its last lines say why; fix that and run again`,
    };
    const tail = (context.log ?? []).slice(-10);
    super(
      'ERR_BASE_IMAGE_BUILD',
      `Could not build the base image ${tag}: ${why[reason]}.` + (tail.length > 0 ? `\n${tail.map((line) => `  ${line}`).join('\n')}` : ''),
      options,
    );
    this.tag = tag;
    this.reason = reason;
    this.exitCode = context.exitCode ?? null;
    this.log = context.log ?? [];
  }
}

/** Which side of a file transfer a path is on: inside the container, or on the host running Node. */
export type FileSide = 'container' | 'host';

function onSide(side: FileSide): string {
  return side === 'container' ? 'in the container' : 'on the host';
}

/**
 * A path given to a file transfer does not exist (Docker's 404, ENOENT inside or on the host).
 *
 * @example
 * ```ts
 * const bytes = await runner.getFile('out/report.pdf').catch((error: unknown) => {
 *   if (error instanceof FileNotFoundError && error.side === 'container') return undefined; // not made
 *   throw error;
 * });
 * ```
 */
export class FileNotFoundError extends DockerShellError {
  static override readonly code = 'ERR_FILE_NOT_FOUND' as const;
  declare readonly code: 'ERR_FILE_NOT_FOUND';
  /** The missing path: absolute in the container, or as given on the host. */
  readonly path: string;
  /** Where it is missing. */
  readonly side: FileSide;

  constructor(path: string, side: FileSide, options?: ErrorOptions) {
    const advice = side === 'container' ? 'Check the path (relative container paths start at the sandbox working directory).' : 'Check the local path.';
    super('ERR_FILE_NOT_FOUND', `No such file or directory ${onSide(side)}: ${path}. ${advice}`, options);
    this.path = path;
    this.side = side;
  }
}

/**
 * A file transfer was refused: the sandbox user may not read or write the path, or its file system
 * is read-only.
 *
 * @example
 * ```ts
 * await runner.putFile('/etc/motd', Buffer.from('hi\n')).catch((error: unknown) => {
 *   if (error instanceof FilePermissionError) console.error(error.path, error.readOnly ? 'is on a read-only root' : error.detail);
 *   throw error;
 * });
 * ```
 */
export class FilePermissionError extends DockerShellError {
  static override readonly code = 'ERR_FILE_PERMISSION' as const;
  declare readonly code: 'ERR_FILE_PERMISSION';
  /** The refused path. */
  readonly path: string;
  /** Where it was refused. */
  readonly side: FileSide;
  /** The container's root file system is read-only (`readOnly: true` sandbox). */
  readonly readOnly: boolean;
  /** The system's own message, e.g. `Permission denied`. */
  readonly detail: string;

  constructor(path: string, side: FileSide, detail: string, readOnly: boolean, options?: ErrorOptions) {
    const advice =
      side === 'host'
        ? 'Check the permissions of the local path.'
        : readOnly
          ? 'The root file system is read-only (`readOnly: true`): only /tmp and the working directory are writable.'
          : 'Transfers act as the sandbox user: use a path that user may access (its working directory, /tmp), or `via: "archive"` to act as root like `docker cp`.';
    super('ERR_FILE_PERMISSION', `Permission denied ${onSide(side)}: ${path}${readOnly ? ' (read-only file system)' : ''} (${detail}). ${advice}`, options);
    this.path = path;
    this.side = side;
    this.readOnly = readOnly;
    this.detail = detail;
  }
}

/**
 * A path is of the wrong kind for the call, e.g. `getFile()` of a directory or a FIFO.
 *
 * @example
 * ```ts
 * await runner.getFile('/tmp').catch((error: unknown) => {
 *   if (error instanceof FileTypeError) console.error(`${error.path} is ${error.actual}, not a ${error.expected}`);
 *   throw error;
 * });
 * ```
 */
export class FileTypeError extends DockerShellError {
  static override readonly code = 'ERR_FILE_TYPE' as const;
  declare readonly code: 'ERR_FILE_TYPE';
  /** The path. */
  readonly path: string;
  /** Where it is. */
  readonly side: FileSide;
  /** What the call needs there. */
  readonly expected: 'file' | 'directory';
  /** What the path is instead, e.g. `'a directory'`, `'not a directory'`, `'a FIFO or device'`. */
  readonly actual: string;

  constructor(path: string, side: FileSide, expected: 'file' | 'directory', actual: string, options?: ErrorOptions) {
    const advice = expected === 'file' ? 'Use getDirectory() / putDirectory() for directories.' : 'Use getFile() / putFile() for single files.';
    super('ERR_FILE_TYPE', `${path} ${onSide(side)} is ${actual}, not a regular ${expected}. ${advice}`, options);
    this.path = path;
    this.side = side;
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * Reading from the container stopped at a limit: more bytes than `maxBytes` (`limit: 'bytes'`) or
 * more entries than `maxEntries` (`limit: 'entries'`). The stream was destroyed; nothing more was read.
 *
 * @example
 * ```ts
 * const log = await runner.getFile('build.log', { maxBytes: '1m' }).catch((error: unknown) => {
 *   if (error instanceof ArchiveLimitError) return Buffer.from(`(over ${error.limitBytes} bytes)`);
 *   throw error;
 * });
 * ```
 */
export class ArchiveLimitError extends DockerShellError {
  static override readonly code = 'ERR_ARCHIVE_LIMIT' as const;
  declare readonly code: 'ERR_ARCHIVE_LIMIT';
  /** What was being read: the container path. */
  readonly path: string;
  /** Which limit was hit. */
  readonly limit: 'bytes' | 'entries';
  /** The `maxBytes` in force, in bytes. */
  readonly limitBytes: number;
  /** The `maxEntries` in force; undefined for a single file. */
  readonly limitEntries: number | undefined;

  constructor(path: string, limit: 'bytes' | 'entries', limitBytes: number, limitEntries?: number, options?: ErrorOptions) {
    const what = limit === 'bytes' ? `more than maxBytes (${limitBytes} bytes)` : `more than maxEntries (${limitEntries ?? '?'} entries)`;
    super(
      'ERR_ARCHIVE_LIMIT',
      `Stopped reading ${path} from the container: it is ${what}. Raise \`${limit === 'bytes' ? 'maxBytes' : 'maxEntries'}\` if that much is expected.`,
      options,
    );
    this.path = path;
    this.limit = limit;
    this.limitBytes = limitBytes;
    this.limitEntries = limitEntries;
  }
}

/**
 * An archive coming out of the container has an entry that would land or point outside the
 * destination (an absolute or `..` name, a link leading out, a path through a symlink) or is
 * malformed. Nothing was written outside the destination.
 *
 * @example
 * ```ts
 * await runner.getDirectory('out', './out').catch(async (error: unknown) => {
 *   if (!(error instanceof UnsafeArchiveError)) throw error;
 *   console.warn(`${error.entry} ${error.why}; copying the rest`);
 *   return runner.getDirectory('out', './out', { onUnsafe: 'skip' });
 * });
 * ```
 */
export class UnsafeArchiveError extends DockerShellError {
  static override readonly code = 'ERR_UNSAFE_ARCHIVE' as const;
  declare readonly code: 'ERR_UNSAFE_ARCHIVE';
  /** What was being extracted: the container path (or `extractArchive()`'s `path`). */
  readonly path: string;
  /** The offending entry's name; `''` when the archive itself is malformed. */
  readonly entry: string;
  /** What is wrong with it, e.g. `is a symlink that points outside the destination (/etc)`. */
  readonly why: string;

  constructor(path: string, entry: string, why: string, options?: ErrorOptions) {
    super(
      'ERR_UNSAFE_ARCHIVE',
      entry === ''
        ? `Unsafe archive (${path}): it ${why}. Nothing was written outside the destination.`
        : `Unsafe archive (${path}): entry ${JSON.stringify(entry)} ${why}. Nothing was written outside the destination; ` +
            "pass `onUnsafe: 'skip'` to leave such entries out (they are listed in the result's `skipped`).",
      options,
    );
    this.path = path;
    this.entry = entry;
    this.why = why;
  }
}

/**
 * A file transfer failed for another reason (disk full, a tool missing in the image, the program failed).
 *
 * @example
 * ```ts
 * await runner.putFile('big.bin', bytes).catch((error: unknown) => {
 *   if (error instanceof FileTransferError) console.error(`${error.path}: ${error.detail}`); // e.g. No space left on device
 *   throw error;
 * });
 * ```
 */
export class FileTransferError extends DockerShellError {
  static override readonly code = 'ERR_FILE_TRANSFER' as const;
  declare readonly code: 'ERR_FILE_TRANSFER';
  /** The path being transferred. */
  readonly path: string;
  /** What failed, in the system's or the program's words. */
  readonly detail: string;

  constructor(path: string, detail: string, options?: ErrorOptions) {
    super(
      'ERR_FILE_TRANSFER',
      `Could not transfer ${path}: ${detail}. Transfers as a non-root user run sh, cat, mkdir, mv, chmod and wc (tar for directories) in the image.`,
      options,
    );
    this.path = path;
    this.detail = detail;
  }
}

/**
 * `runner.spawn()` or `runner.pty()` could not start the process: the engine refused the exec, e.g.
 * its `cwd` does not exist or its `user` is unknown in the image. Nothing runs. (A command that starts and
 * fails is not this: its exit code is in `wait()`'s result.)
 *
 * @example
 * ```ts
 * await runner.spawn('make serve', { cwd: 'no/such/dir' }).catch((error: unknown) => {
 *   if (error instanceof SpawnFailedError) console.error(error.detail); // ... chdir to cwd ... no such file or directory
 *   throw error;
 * });
 * ```
 */
export class SpawnFailedError extends DockerShellError {
  static override readonly code = 'ERR_SPAWN_FAILED' as const;
  declare readonly code: 'ERR_SPAWN_FAILED';
  /** The command that did not start. */
  readonly command: string;
  /** Why, in the engine's words. */
  readonly detail: string;
  /** The exec's exit code (126 when the engine could not start it); null when unknown. */
  readonly exitCode: number | null;

  constructor(command: string, detail: string, exitCode: number | null, options?: ErrorOptions) {
    super(
      'ERR_SPAWN_FAILED',
      `Could not spawn \`${describeCommand(command)}\`: ${detail}. Check \`cwd\` (it must exist) and \`user\` (the image must know it).`,
      options,
    );
    this.command = command;
    this.detail = detail;
    this.exitCode = exitCode;
  }
}

/**
 * `runner.forwardPort()` could not listen on the host address asked for: something on the host
 * already listens on that port. Nothing was forwarded.
 *
 * @example
 * ```ts
 * const forward = await runner.forwardPort(8080, { hostPort: 18080 }).catch((error: unknown) => {
 *   if (error instanceof PortInUseError) return runner.forwardPort(8080); // any free port instead
 *   throw error;
 * });
 * ```
 */
export class PortInUseError extends DockerShellError {
  static override readonly code = 'ERR_PORT_IN_USE' as const;
  declare readonly code: 'ERR_PORT_IN_USE';
  /** The host address asked for. */
  readonly host: string;
  /** The host port asked for. */
  readonly port: number;

  constructor(host: string, port: number, options?: ErrorOptions) {
    super('ERR_PORT_IN_USE', `Port ${port} on ${host} is already in use on the host. Pass another \`hostPort\`, or 0 (the default) for any free one.`, options);
    this.host = host;
    this.port = port;
  }
}

/**
 * A port forward failed: the host could not listen on the address asked for (e.g. an address this
 * machine does not have), or the relay in the sandbox did not start (the image has no `perl`) or
 * died (the sandbox went away). `forward.closed` resolves with this error when the relay dies.
 *
 * @example
 * ```ts
 * const forward = await runner.forwardPort(8080);
 * const error = await forward.closed; // undefined after forward.close()
 * if (error) console.error(error.containerPort, error.detail);
 * ```
 */
export class PortForwardError extends DockerShellError {
  static override readonly code = 'ERR_PORT_FORWARD' as const;
  declare readonly code: 'ERR_PORT_FORWARD';
  /** The sandbox port of the forward. */
  readonly containerPort: number;
  /** What went wrong, in the host's or the relay's words. */
  readonly detail: string;

  constructor(containerPort: number, detail: string, options?: ErrorOptions) {
    super(
      'ERR_PORT_FORWARD',
      `The forward to port ${containerPort} in the sandbox failed: ${detail}. ` +
        'The relay needs `perl` in the image (the base image has it) and a running sandbox; check `host` is an address of this machine.',
      options,
    );
    this.containerPort = containerPort;
    this.detail = detail;
  }
}

/**
 * `RunnerPool.acquire()` / `run()` was refused at once: every runner the pool may have (`max`) is
 * busy or on its way to another caller, and `maxWaiting` callers are already waiting.
 *
 * @example
 * ```ts
 * const reply = await pool.run((runner) => runner.run(job)).catch((error: unknown) => {
 *   if (error instanceof PoolQueueFullError) return undefined; // shed load: answer "busy, retry later"
 *   throw error;
 * });
 * ```
 */
export class PoolQueueFullError extends DockerShellError {
  static override readonly code = 'ERR_POOL_QUEUE_FULL' as const;
  declare readonly code: 'ERR_POOL_QUEUE_FULL';
  /** The pool's `maxWaiting`. */
  readonly maxWaiting: number;

  constructor(maxWaiting: number) {
    super(
      'ERR_POOL_QUEUE_FULL',
      `The runner pool's wait queue is full: all runners are busy and ${maxWaiting} callers are already waiting (maxWaiting: ${maxWaiting}). ` +
        "Retry later or shed load, or raise the pool's `max` or `maxWaiting`.",
    );
    this.maxWaiting = maxWaiting;
  }
}

/**
 * No runner of the pool became free within the acquire timeout; the caller no longer waits.
 *
 * @example
 * ```ts
 * const runner = await pool.acquire({ timeoutMs: 5_000 }).catch((error: unknown) => {
 *   if (error instanceof PoolAcquireTimeoutError) console.error(`no runner within ${error.timeoutMs} ms`);
 *   throw error;
 * });
 * ```
 */
export class PoolAcquireTimeoutError extends DockerShellError {
  static override readonly code = 'ERR_POOL_ACQUIRE_TIMEOUT' as const;
  declare readonly code: 'ERR_POOL_ACQUIRE_TIMEOUT';
  /** The timeout that ran out, in ms. */
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super(
      'ERR_POOL_ACQUIRE_TIMEOUT',
      `No runner of the pool became free within ${timeoutMs} ms; the request left the wait queue and took no runner. ` +
        "Raise `timeoutMs` / `acquireTimeoutMs`, raise the pool's `max`, or make jobs shorter.",
    );
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The `signal` passed to `RunnerPool.acquire()` / `run()` was aborted before a runner was handed
 * out. `cause` is the signal's reason.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * request.on('close', () => controller.abort()); // the client went away
 * await pool.run((runner) => runner.run(job), { signal: controller.signal }).catch((error: unknown) => {
 *   if (!(error instanceof PoolAcquireCanceledError)) throw error;
 * });
 * ```
 */
export class PoolAcquireCanceledError extends DockerShellError {
  static override readonly code = 'ERR_POOL_ACQUIRE_CANCELED' as const;
  declare readonly code: 'ERR_POOL_ACQUIRE_CANCELED';

  constructor(options?: ErrorOptions) {
    super(
      'ERR_POOL_ACQUIRE_CANCELED',
      'The wait for a runner of the pool was canceled by its signal; no runner was taken and the job did not run. ' +
        'Submit it again with a fresh signal if it is still wanted.',
      options,
    );
  }
}

/**
 * The runner pool was closed (`close()` / `await using`): it hands out no more runners. Callers
 * still waiting when it closed get it too.
 *
 * @example
 * ```ts
 * await pool.close();
 * await pool.run((runner) => runner.run('true')).catch((error: unknown) => console.log(error instanceof PoolClosedError)); // true
 * ```
 */
export class PoolClosedError extends DockerShellError {
  static override readonly code = 'ERR_POOL_CLOSED' as const;
  declare readonly code: 'ERR_POOL_CLOSED';

  constructor() {
    super('ERR_POOL_CLOSED', 'The runner pool is closed: it hands out no more runners. Create a new RunnerPool to run more jobs.');
  }
}

/** One endpoint of a pool that is out of rotation, and the failure that took it out. */
export interface EndpointFailure {
  /** The endpoint's name (its `name` option, else its address). */
  name: string;
  /** Why it was taken out: the failed ping or start (e.g. a `DockerUnavailableError`). */
  error: unknown;
}

/**
 * No Docker endpoint of the runner pool answers: every one is out of rotation. Raised at once by
 * `acquire()` / `run()` and given to callers that were waiting, rather than letting them hang; the
 * pool keeps probing and serves again as soon as one endpoint answers.
 *
 * @example
 * ```ts
 * await pool.run((runner) => runner.run(job)).catch((error: unknown) => {
 *   if (error instanceof PoolUnavailableError) for (const { name, error: why } of error.endpoints) console.error(name, why);
 *   throw error;
 * });
 * ```
 */
export class PoolUnavailableError extends DockerShellError {
  static override readonly code = 'ERR_POOL_UNAVAILABLE' as const;
  declare readonly code: 'ERR_POOL_UNAVAILABLE';
  /** Every endpoint of the pool, each with the failure that took it out of rotation. */
  readonly endpoints: EndpointFailure[];

  constructor(endpoints: EndpointFailure[], probeIntervalMs: number) {
    const why = endpoints.map(({ name, error }) => `${name}: ${error instanceof Error ? error.message : String(error)}`).join('; ');
    super(
      'ERR_POOL_UNAVAILABLE',
      `No Docker endpoint of the runner pool answers (${why}). Start or reconnect the engine(s); ` +
        `the pool probes them every ${probeIntervalMs} ms and serves again as soon as one answers.`,
      { cause: endpoints[0]?.error },
    );
    this.endpoints = endpoints;
  }
}

/**
 * `runner.openShell()` was refused: the runner already has `maxShells` extra shells open (its own
 * session does not count). No shell was opened; the open ones go on.
 *
 * @example
 * ```ts
 * const shell = await runner.openShell().catch((error: unknown) => {
 *   if (error instanceof ShellLimitError) console.error(`${error.maxShells} shells are open already: close one first`);
 *   throw error;
 * });
 * ```
 */
export class ShellLimitError extends DockerShellError {
  static override readonly code = 'ERR_SHELL_LIMIT' as const;
  declare readonly code: 'ERR_SHELL_LIMIT';
  /** The runner's `maxShells`. */
  readonly maxShells: number;

  constructor(maxShells: number) {
    super(
      'ERR_SHELL_LIMIT',
      `The runner already has ${maxShells} extra shells open (maxShells: ${maxShells}); no shell was opened. ` +
        "Close one you are done with (`await shell.close()`) before opening another, or raise the runner's `maxShells`.",
    );
    this.maxShells = maxShells;
  }
}

/** Why `DockerRunner.connect()` found no sandbox to resume. */
export type SandboxMissingReason =
  /** No container has that id or name. */
  | 'unknown'
  /** A container, but not one docker-shell created. */
  | 'not-docker-shell'
  /** It was docker-shell's, but its shell has ended (it expired, exited or was killed). */
  | 'ended';

/**
 * `DockerRunner.connect(id)` found no live docker-shell sandbox by that id: `reason` says which case.
 *
 * @example
 * ```ts
 * const runner = await DockerRunner.connect(id).catch((error: unknown) => {
 *   if (error instanceof SandboxNotFoundError) return DockerRunner.start(); // e.g. it expired: start afresh
 *   throw error;
 * });
 * ```
 */
export class SandboxNotFoundError extends DockerShellError {
  static override readonly code = 'ERR_SANDBOX_NOT_FOUND' as const;
  declare readonly code: 'ERR_SANDBOX_NOT_FOUND';
  /** The id asked for. */
  readonly id: string;
  /** Which case. */
  readonly reason: SandboxMissingReason;

  constructor(id: string, reason: SandboxMissingReason, detail: string, options?: ErrorOptions) {
    const advice =
      reason === 'ended'
        ? ' Its files and state are gone with it: start a new sandbox (`docker-shell prune` removes what is left).'
        : ' `docker-shell ls` lists the sandboxes there are.';
    super('ERR_SANDBOX_NOT_FOUND', `No docker-shell sandbox to resume at ${id}: ${detail}.${advice}`, options);
    this.id = id;
    this.reason = reason;
  }
}

/**
 * `DockerRunner.connect(id)` found the sandbox held by another live process: only a detached sandbox
 * can be taken over. `owner` is the holder, `<hostname>:<pid>`.
 *
 * @example
 * ```ts
 * await DockerRunner.connect(id).catch((error: unknown) => {
 *   if (error instanceof SandboxHeldError) console.error(`ask process ${error.owner} to detach it first`);
 *   throw error;
 * });
 * ```
 */
export class SandboxHeldError extends DockerShellError {
  static override readonly code = 'ERR_SANDBOX_HELD' as const;
  declare readonly code: 'ERR_SANDBOX_HELD';
  /** The sandbox's container id. */
  readonly id: string;
  /** The process holding it, `<hostname>:<pid>` (undefined when it was taken over at the same moment). */
  readonly owner: string | undefined;

  constructor(id: string, owner: string | undefined) {
    const who = owner ? `process ${owner}` : 'another process, which connected at the same moment';
    super(
      'ERR_SANDBOX_HELD',
      `The sandbox ${id} is held by ${who}; only a detached sandbox can be connected to. Have its holder call \`runner.detach()\`, or wait until it ends.`,
    );
    this.id = id;
    this.owner = owner;
  }
}

// ---- hibernate: runsc checkpoint/restore (src/docker/hibernate) ----

/** Why a sandbox cannot be hibernated on this engine. */
export type HibernateUnsupportedReason = 'runtime' | 'experimental';

/**
 * The sandbox cannot be hibernated: it does not run under gVisor (`reason: 'runtime'`; a runc
 * checkpoint needs CRIU), or the engine has its experimental features off (`reason: 'experimental'`;
 * Docker's checkpoints are one of them). Nothing was changed: the sandbox goes on running.
 *
 * @example
 * ```ts
 * await runner.hibernate().catch((error: unknown) => {
 *   if (error instanceof HibernateUnsupportedError && error.reason === 'runtime') console.error('start it with runtime: "runsc"');
 *   throw error;
 * });
 * ```
 */
export class HibernateUnsupportedError extends DockerShellError {
  static override readonly code = 'ERR_HIBERNATE_UNSUPPORTED' as const;
  declare readonly code: 'ERR_HIBERNATE_UNSUPPORTED';
  /** `'runtime'`: not a gVisor sandbox; `'experimental'`: the engine's checkpoints are off. */
  readonly reason: HibernateUnsupportedReason;
  /** The container's id. */
  readonly containerId: string;
  /** The container's runtime as the engine names it (e.g. `'runc'`); undefined when unknown. */
  readonly runtime: string | undefined;

  constructor(reason: HibernateUnsupportedReason, containerId: string, runtime: string | undefined, options?: ErrorOptions) {
    const message =
      reason === 'runtime'
        ? `The sandbox ${containerId} runs with runtime '${runtime ?? 'runc'}', which cannot be hibernated here: a runc ` +
          "checkpoint needs CRIU, which fails on this kind of host. Start the sandbox with `runtime: 'runsc'` (gVisor, " +
          'registered by `bash scripts/ensure-docker.sh`); it keeps running meanwhile.'
        : `The Docker engine has its experimental features off, and checkpoints (hibernate) are one of them. Set ` +
          '"experimental": true in /etc/docker/daemon.json and restart dockerd (scripts/ensure-docker.sh does it for an ' +
          `engine it starts); the sandbox ${containerId} keeps running meanwhile.`;
    super('ERR_HIBERNATE_UNSUPPORTED', message, options);
    this.reason = reason;
    this.containerId = containerId;
    this.runtime = runtime;
  }
}

/** What was asked of the engine's checkpoints when it failed. */
export type CheckpointOperation = 'checkpoint' | 'restore' | 'copy';

/**
 * The engine failed to checkpoint a sandbox (hibernate), to restore one from its checkpoint (wake,
 * live fork), or the checkpoint could not be copied to another sandbox; `engineMessage` is what it
 * said. After a failed checkpoint the sandbox may still run (see the message); after a failed
 * restore it is stopped, its checkpoint kept.
 *
 * @example
 * ```ts
 * await runner.hibernate().catch((error: unknown) => {
 *   if (error instanceof CheckpointFailedError) console.error(error.operation, error.engineMessage);
 *   throw error;
 * });
 * ```
 */
export class CheckpointFailedError extends DockerShellError {
  static override readonly code = 'ERR_CHECKPOINT_FAILED' as const;
  declare readonly code: 'ERR_CHECKPOINT_FAILED';
  /** What failed: taking the checkpoint, restoring from it, or copying it to another container. */
  readonly operation: CheckpointOperation;
  /** The container's id. */
  readonly containerId: string;
  /** The checkpoint's name. */
  readonly checkpointName: string;
  /** The engine's own words (or the copy's error). */
  readonly engineMessage: string;

  constructor(operation: CheckpointOperation, containerId: string, checkpointName: string, engineMessage: string, options?: ErrorOptions) {
    const what = {
      checkpoint: `checkpoint the sandbox ${containerId} as '${checkpointName}'`,
      restore: `restore the sandbox ${containerId} from its checkpoint '${checkpointName}'`,
      copy: `copy the checkpoint '${checkpointName}' to the sandbox ${containerId}`,
    }[operation];
    const next = {
      checkpoint: 'Check that it is still running and that the engine can write its checkpoints (its disk)',
      restore: 'The sandbox stays stopped with its checkpoint kept: retry, or remove it (`docker rm`) and start a new one',
      copy: 'The source sandbox and its checkpoint are untouched: retry, or start a new sandbox',
    }[operation];
    super('ERR_CHECKPOINT_FAILED', `Docker failed to ${what}: ${engineMessage}. ${next}.`, options);
    this.operation = operation;
    this.containerId = containerId;
    this.checkpointName = checkpointName;
    this.engineMessage = engineMessage;
  }
}

// --- Snapshots and forks -------------------------------------------------------------------------

/**
 * `runner.snapshot({ wait: false })` (or `fork({ wait: false })`) was refused: a command is running
 * or queued in the runner's session, and the snapshot was asked not to wait for it. Nothing was
 * captured; the sandbox goes on. Call again without `wait: false` to wait for the commands.
 *
 * @example
 * ```ts
 * const snapshot = await runner.snapshot({ wait: false }).catch((error: unknown) => {
 *   if (error instanceof SandboxBusyError) console.error(`${error.pendingCount} commands ahead`);
 *   throw error;
 * });
 * ```
 */
export class SandboxBusyError extends DockerShellError {
  static override readonly code = 'ERR_SANDBOX_BUSY' as const;
  declare readonly code: 'ERR_SANDBOX_BUSY';
  /** What was refused, e.g. `'snapshot'`. */
  readonly operation: string;
  /** Commands running or queued in the session when it was refused. */
  readonly pendingCount: number;

  constructor(operation: string, pendingCount: number) {
    super(
      'ERR_SANDBOX_BUSY',
      `The sandbox is busy (${pendingCount} command(s) running or queued), and the ${operation} was asked not to wait (\`wait: false\`); nothing was done. ` +
        'Call it again when the session is idle, or without `wait: false` to run it after those commands.',
    );
    this.operation = operation;
    this.pendingCount = pendingCount;
  }
}

/**
 * No docker-shell snapshot has this id or name on the engine: `DockerRunner.start({ snapshot })`,
 * `removeSnapshot()`. An image that exists but was not made by `runner.snapshot()` is this too.
 *
 * @example
 * ```ts
 * await removeSnapshot('nightly').catch((error: unknown) => {
 *   if (!(error instanceof SnapshotNotFoundError)) throw error; // already gone: fine
 * });
 * ```
 */
export class SnapshotNotFoundError extends DockerShellError {
  static override readonly code = 'ERR_SNAPSHOT_NOT_FOUND' as const;
  declare readonly code: 'ERR_SNAPSHOT_NOT_FOUND';
  /** The id or name asked for. */
  readonly snapshot: string;

  constructor(snapshot: string, detail = 'no such image', cause?: unknown) {
    super(
      'ERR_SNAPSHOT_NOT_FOUND',
      `No docker-shell snapshot ${JSON.stringify(snapshot)} on this engine (${detail}). See \`listSnapshots()\` for those there are.`,
      {
        cause,
      },
    );
    this.snapshot = snapshot;
  }
}

/**
 * `runner.snapshot()` could not capture the sandbox: reading its writable places failed (e.g. a
 * file its user cannot read, such as one with mode 000), or the image lacks `tar`. Nothing was
 * kept; the sandbox goes on as it was.
 *
 * @example
 * ```ts
 * await runner.snapshot().catch((error: unknown) => {
 *   if (error instanceof SnapshotFailedError) console.error(error.detail); // e.g. tar: tmp/secret: Cannot open: Permission denied
 *   throw error;
 * });
 * ```
 */
export class SnapshotFailedError extends DockerShellError {
  static override readonly code = 'ERR_SNAPSHOT_FAILED' as const;
  declare readonly code: 'ERR_SNAPSHOT_FAILED';
  /** What went wrong, in the words of the program that failed. */
  readonly detail: string;

  constructor(detail: string, cause?: unknown) {
    super(
      'ERR_SNAPSHOT_FAILED',
      `The snapshot failed: ${detail}. Nothing was kept. The sandbox user must be able to read every file of its writable places, and the image must have bash and GNU tar.`,
      { cause },
    );
    this.detail = detail;
  }
}

/**
 * With `policy: 'recycle'`, a started sandbox could not be scanned for its baseline (the state each
 * recycle must bring it back to), so the pool cannot recycle it: it was removed. The image needs
 * bash and GNU find (the base image has both). The pool emits it as an `'error'`, and a caller
 * waiting for that runner gets it as its rejection.
 *
 * @example
 * ```ts
 * pool.on('error', (error) => {
 *   if (error instanceof RecycleBaselineError) console.error(error.detail);
 * });
 * ```
 */
export class RecycleBaselineError extends DockerShellError {
  static override readonly code = 'ERR_RECYCLE_BASELINE' as const;
  declare readonly code: 'ERR_RECYCLE_BASELINE';
  /** What went wrong. */
  readonly detail: string;

  constructor(detail: string, cause?: unknown) {
    super(
      'ERR_RECYCLE_BASELINE',
      `The sandbox could not be scanned for policy: 'recycle': ${detail}. It was removed. The image must have bash and GNU find; or use policy: 'destroy'.`,
      { cause },
    );
    this.detail = detail;
  }
}
