/** Checking `run()` options where they enter, and the exit code a result reports. */
import { InvalidArgumentError } from '../errors.js';
import { checkDuration, checkOptionsObject } from '../option-checks.js';
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

const RUN_OPTION_NAMES = ['stdin', 'check', 'stripAnsi', 'onStdout', 'onStderr', 'timeoutMs', 'signal', 'maxOutputBytes'];

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
  for (const name of ['onStdout', 'onStderr'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') throw new InvalidArgumentError(name, 'a function', options[name]);
  }
  for (const name of ['check', 'stripAnsi'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'boolean') throw new InvalidArgumentError(name, 'a boolean', options[name]);
  }
}
