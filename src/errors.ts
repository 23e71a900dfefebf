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
  | 'ERR_INVALID_ARGUMENT';

function isBranded(value: unknown, code: ErrorCode | undefined): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as { [brand]?: unknown; code?: unknown };
  return record[brand] === true && (code === undefined || record.code === code);
}

/** Base class of every error docker-shell throws on purpose. */
export class DockerShellError extends Error {
  static readonly code: ErrorCode = 'ERR_DOCKER_SHELL';
  readonly code: ErrorCode;
  declare readonly [brand]: true;

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
    Object.defineProperty(this, brand, { value: true });
  }

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
 * A command finished with a non-zero exit code and the caller asked for `check: true`.
 * Carries the whole result; `result` is the same object the promise would have resolved with.
 */
export class CommandFailedError extends DockerShellError implements CommandResult {
  static override readonly code = 'ERR_COMMAND_FAILED' as const;
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

/** A queued command's `signal` was aborted before it started: it never ran. */
export class CommandCanceledError extends DockerShellError {
  static override readonly code = 'ERR_COMMAND_CANCELED' as const;
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
  /** The owner called `stop()` / `close()`. */
  | 'stopped';

/** What is known about the end of a session. */
export interface SessionCloseInfo {
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
 * `command`, `stdout` and `stderr` are the command that was running or queued and the output it had
 * produced so far.
 */
export class SessionClosedError extends DockerShellError implements SessionCloseInfo {
  static override readonly code = 'ERR_SESSION_CLOSED' as const;
  readonly reason: CloseReason;
  readonly detail: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly command: string | undefined;
  readonly stdout: string;
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

/** The Docker engine answered with an error. `statusCode` is its HTTP status, when there was one. */
export class DockerApiError extends DockerShellError {
  static override readonly code = 'ERR_DOCKER_API' as const;
  readonly operation: string;
  readonly statusCode: number | undefined;

  constructor(operation: string, cause: unknown) {
    const statusCode = (cause as { statusCode?: unknown } | null)?.statusCode;
    const reason = (cause as { json?: { message?: unknown } } | null)?.json?.message ?? (cause as Error)?.message;
    super('ERR_DOCKER_API', `Docker failed to ${operation}: ${String(reason)}`, { cause });
    this.operation = operation;
    this.statusCode = typeof statusCode === 'number' ? statusCode : undefined;
  }
}

/** No Docker engine answered at the configured address. */
export class DockerUnavailableError extends DockerShellError {
  static override readonly code = 'ERR_DOCKER_UNAVAILABLE' as const;
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

/** The image is not present locally and could not be pulled. */
export class ImageNotFoundError extends DockerShellError {
  static override readonly code = 'ERR_IMAGE_NOT_FOUND' as const;
  readonly image: string;

  constructor(image: string, hint: string, cause?: unknown) {
    super('ERR_IMAGE_NOT_FOUND', `Image ${image} is not present and could not be pulled. ${hint}`, { cause });
    this.image = image;
  }
}

/** The container was created but the shell in it did not come up; nothing was left behind. */
export class StartFailedError extends DockerShellError {
  static override readonly code = 'ERR_START_FAILED' as const;
  readonly image: string;

  constructor(image: string, detail: string, cause?: unknown) {
    super(
      'ERR_START_FAILED',
      `The sandbox from image ${image} did not start: ${detail}. The image must provide bash on its PATH.`,
      { cause },
    );
    this.image = image;
  }
}

/**
 * A function got an argument or option it cannot use. A `TypeError`, and also a `DockerShellError`
 * by brand. `option` names the offending option (or argument).
 */
export class InvalidArgumentError extends TypeError {
  static readonly code = 'ERR_INVALID_ARGUMENT' as const;
  readonly code = 'ERR_INVALID_ARGUMENT' as const;
  readonly option: string;
  declare readonly [brand]: true;

  constructor(option: string, expected: string, received: unknown) {
    super(`Option \`${option}\` must be ${expected}; received ${describeValue(received)}.`);
    this.name = 'InvalidArgumentError';
    this.option = option;
    Object.defineProperty(this, brand, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return isBranded(value, 'ERR_INVALID_ARGUMENT');
  }
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)}`;
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value)})`;
  return `${typeof value} ${String(value)}`;
}
