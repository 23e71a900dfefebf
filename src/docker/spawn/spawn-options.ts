/** The options of `runner.spawn()`, their types and their checks where they enter. */
import type { Readable } from 'node:stream';
import { InvalidArgumentError } from '../../errors.js';
import { checkDuration, checkFunction, checkOptionsObject, checkSignal, checkString, checkStringRecord } from '../../option-checks.js';

/**
 * Options of one `runner.spawn()` call. Every field is optional; an unknown option or a value of the
 * wrong type rejects with `InvalidArgumentError` before anything starts. A spawned process starts
 * from the sandbox's defaults (workdir, HOME, `env` of the runner), not from the session's current
 * directory or variables.
 *
 * @example
 * ```ts
 * const server = await runner.spawn('perl server.pl', {
 *   cwd: 'app',
 *   env: { PORT: '8080' },
 *   timeoutMs: 60_000,
 *   onStderr: (text) => process.stderr.write(text),
 * });
 * ```
 */
export interface SpawnOptions {
  /** Working directory; a relative path is under the sandbox's workdir. Default: the sandbox's workdir. */
  cwd?: string;
  /** Environment variables on top of the sandbox's (HOME and the runner's `env`). Default: none. */
  env?: Record<string, string>;
  /** User to run as: `uid[:gid]` or a name the image knows. Default: the sandbox's user. */
  user?: string;
  /**
   * Input written to the process's stdin, which is then closed. Default: none, and `stdin` stays
   * open for the caller to write and `end()`.
   */
  stdin?: string | Uint8Array | Readable;
  /**
   * Kill the process tree (SIGKILL) if it runs longer than this; the result says `timedOut`. In ms,
   * or `Infinity`. Default: none (a background process is meant to run long).
   */
  timeoutMs?: number;
  /** Aborting it kills the process tree (SIGKILL); the result says `canceled`. Default: none. */
  signal?: AbortSignal;
  /** Most output bytes `wait()`'s result keeps: the first and the last half. Default: the runner's `maxOutputBytes` (16 MiB). */
  maxOutputBytes?: number;
  /** Called with each piece of stdout as it arrives, decoded as UTF-8; the output then flows without a reader. Default: none. */
  onStdout?: (text: string) => void;
  /** Called with each piece of stderr as it arrives, decoded as UTF-8; the output then flows without a reader. Default: none. */
  onStderr?: (text: string) => void;
}

const SPAWN_OPTION_NAMES = ['cwd', 'env', 'user', 'stdin', 'timeoutMs', 'signal', 'maxOutputBytes', 'onStdout', 'onStderr'];

/** Checks `spawn()`'s arguments at the door, naming the one that is wrong. */
export function checkSpawnOptions(command: unknown, options: SpawnOptions): void {
  if (typeof command !== 'string' || command.trim() === '') throw new InvalidArgumentError('command', 'a non-empty string of bash', command);
  checkOptionsObject(options, SPAWN_OPTION_NAMES, 'spawn()');
  checkString(options.cwd, 'cwd', 'a non-empty container path');
  if (options.cwd?.includes('\0')) throw new InvalidArgumentError('cwd', 'a container path without NUL', options.cwd);
  checkStringRecord(options.env, 'env');
  for (const key of Object.keys(options.env ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new InvalidArgumentError(`env.${key}`, 'a variable name of letters, digits and _', key);
  }
  checkString(options.user, 'user', 'a user name or uid[:gid]');
  const { stdin, maxOutputBytes } = options;
  if (stdin !== undefined && typeof stdin !== 'string' && !(stdin instanceof Uint8Array) && typeof (stdin as Readable).pipe !== 'function') {
    throw new InvalidArgumentError('stdin', 'a string, a Uint8Array or a Readable', stdin);
  }
  checkDuration(options.timeoutMs, 'timeoutMs');
  checkSignal(options.signal);
  if (maxOutputBytes !== undefined && !(Number.isInteger(maxOutputBytes) && maxOutputBytes > 0)) {
    throw new InvalidArgumentError('maxOutputBytes', 'a positive whole number of bytes', maxOutputBytes);
  }
  checkFunction(options.onStdout, 'onStdout', '(text) => void');
  checkFunction(options.onStderr, 'onStderr', '(text) => void');
}
