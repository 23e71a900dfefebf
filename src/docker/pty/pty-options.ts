/** The options of `runner.pty()`, their defaults and their checks where they enter. */
import { InvalidArgumentError } from '../../errors.js';
import { checkFunction, checkOptionsObject, checkString, checkStringRecord } from '../../option-checks.js';

/**
 * Options of one `runner.pty()` call. Every field is optional; an unknown option or a value of the
 * wrong type rejects with `InvalidArgumentError` before anything starts. Like a spawned process, a
 * terminal starts from the sandbox's defaults (workdir, HOME, `env` of the runner), not from the
 * session's current directory or variables.
 *
 * @example
 * ```ts
 * const pty = await runner.pty({
 *   cols: 120,
 *   rows: 40,
 *   command: 'less /etc/os-release',
 *   env: { TERM: 'xterm-256color' },
 *   onData: (text) => process.stdout.write(text),
 * });
 * ```
 */
export interface PtyOptions {
  /** Width of the terminal in columns. Default: 80. */
  cols?: number;
  /** Height of the terminal in rows. Default: 24. */
  rows?: number;
  /**
   * Bash to run on the terminal; when it ends, the terminal ends, with its exit code. Default:
   * `'bash'`, an interactive shell (job control, prompt, line editing).
   */
  command?: string;
  /** Working directory; a relative path is under the sandbox's workdir. Default: the sandbox's workdir. */
  cwd?: string;
  /**
   * Environment variables on top of the sandbox's (HOME and the runner's `env`). Default: none,
   * except `TERM`, which is `xterm-256color` unless given here.
   */
  env?: Record<string, string>;
  /** User to run as: `uid[:gid]` or a name the image knows. Default: the sandbox's user. */
  user?: string;
  /** Called with each piece of output as it arrives, decoded as UTF-8; the output then flows without a reader. Default: none. */
  onData?: (text: string) => void;
}

/** The terminal's size when `cols` / `rows` are not given, as a terminal emulator's default. */
export const PTY_DEFAULTS = { cols: 80, rows: 24, command: 'bash', term: 'xterm-256color' } as const;

/** Most columns or rows a size may have: the kernel's winsize fields are 16 bits. */
const MAX_DIMENSION = 65_535;

const PTY_OPTION_NAMES = ['cols', 'rows', 'command', 'cwd', 'env', 'user', 'onData'];

/** Checks `pty()`'s options at the door, naming the one that is wrong. */
export function checkPtyOptions(options: PtyOptions): void {
  checkOptionsObject(options, PTY_OPTION_NAMES, 'pty()');
  if (options.cols !== undefined) checkDimension(options.cols, 'cols');
  if (options.rows !== undefined) checkDimension(options.rows, 'rows');
  const { command } = options;
  if (command !== undefined && (typeof command !== 'string' || command.trim() === '')) {
    throw new InvalidArgumentError('command', 'a non-empty string of bash', command);
  }
  if (command?.includes('\0')) throw new InvalidArgumentError('command', 'bash without NUL characters', command);
  checkString(options.cwd, 'cwd', 'a non-empty container path');
  if (options.cwd?.includes('\0')) throw new InvalidArgumentError('cwd', 'a container path without NUL', options.cwd);
  checkStringRecord(options.env, 'env');
  for (const key of Object.keys(options.env ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new InvalidArgumentError(`env.${key}`, 'a variable name of letters, digits and _', key);
  }
  checkString(options.user, 'user', 'a user name or uid[:gid]');
  checkFunction(options.onData, 'onData', '(text) => void');
}

/** Checks one of a size's two numbers: a whole number from 1 to 65 535. */
export function checkDimension(value: unknown, option: string): void {
  if (!(typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_DIMENSION)) {
    throw new InvalidArgumentError(option, `a whole number from 1 to ${MAX_DIMENSION}`, value);
  }
}
