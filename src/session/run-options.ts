/** Checking `run()` options where they enter, and the exit code a result reports. */
import { InvalidArgumentError } from '../errors.js';
import { checkDuration, checkOptionsObject } from '../option-checks.js';
import { isEnvName } from '../protocol/command-framing.js';
import type { RunOptions } from './command-result.js';

/** Why a running command was stopped from outside. */
export type Interruption = 'timeout' | 'abort';

/**
 * An interrupted command never reports success: a loop in bash broken by the interrupt ends with
 * whatever `$?` was, often 0. Then it is 124 for a timeout (as GNU `timeout` says) or 130 for a
 * cancel (as Ctrl-C); a killed program's own status (137) stands.
 */
export function reportedExitCode(exitCode: number | null, interrupted: Interruption | undefined): number {
  const code = exitCode ?? 255;
  if (code !== 0 || !interrupted) return code;
  return interrupted === 'timeout' ? 124 : 130;
}

const RUN_OPTION_NAMES = ['stdin', 'cwd', 'env', 'check', 'stripAnsi', 'onStdout', 'onStderr', 'timeoutMs', 'signal', 'maxOutputBytes'];

/** Checks `run()` options at the door, naming the option that is wrong. */
export function checkRunOptions(options: RunOptions): void {
  checkOptionsObject(options, RUN_OPTION_NAMES, 'run() / stream()');
  const { timeoutMs, maxOutputBytes, signal, stdin } = options;
  checkDuration(timeoutMs, 'timeoutMs');
  if (maxOutputBytes !== undefined && !(Number.isInteger(maxOutputBytes) && maxOutputBytes > 0)) {
    throw new InvalidArgumentError('maxOutputBytes', 'a positive whole number of bytes', maxOutputBytes);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new InvalidArgumentError('signal', 'an AbortSignal', signal);
  if (stdin !== undefined && typeof stdin !== 'string' && !(stdin instanceof Uint8Array)) {
    throw new InvalidArgumentError('stdin', 'a string or a Uint8Array', stdin);
  }
  if (options.cwd !== undefined && (typeof options.cwd !== 'string' || options.cwd === '' || options.cwd.includes('\0'))) {
    throw new InvalidArgumentError('cwd', 'a non-empty directory path', options.cwd);
  }
  checkEnv(options.env);
  for (const name of ['onStdout', 'onStderr'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') throw new InvalidArgumentError(name, 'a function', options[name]);
  }
  for (const name of ['check', 'stripAnsi'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'boolean') throw new InvalidArgumentError(name, 'a boolean', options[name]);
  }
}

/** Per-command variables: shell names (not the runtime's own `__ds_*`) with string values. */
function checkEnv(env: unknown): void {
  if (env === undefined) return;
  if (typeof env !== 'object' || env === null || Array.isArray(env)) throw new InvalidArgumentError('env', 'an object of string values', env);
  for (const [name, value] of Object.entries(env)) {
    if (!isEnvName(name)) throw new InvalidArgumentError(`env.${name}`, 'a variable name (letters, digits, _; not starting with a digit or __ds_)', name);
    if (typeof value !== 'string' || value.includes('\0')) throw new InvalidArgumentError(`env.${name}`, 'a string without NUL', value);
  }
}
