/** Types of a command's options and result, shared by the session and the runners. */

/** One piece of live output, tagged with the stream it came from. */
export interface OutputChunk {
  /** The stream the bytes came from. */
  type: 'stdout' | 'stderr';
  /** The raw bytes, ANSI codes and all. */
  data: Buffer;
}

/**
 * What `run()` resolves with (and what `CommandFailedError` carries), whatever the exit code.
 *
 * @example
 * ```ts
 * const result = await runner.run('grep -c error app.log');
 * if (result.timedOut) throw new Error('grep hung');
 * const count = result.exitCode === 1 ? 0 : Number(result.stdout); // grep answers 1 for "none"
 * ```
 */
export interface CommandResult {
  /** The command text as given to `run()`. */
  command: string;
  /** The command's exit status, 0-255 (`$?` after it ran); 137 when it was killed. */
  exitCode: number;
  /** Everything the command wrote to stdout, decoded as UTF-8 (ANSI codes stripped by default). */
  stdout: string;
  /** Everything the command wrote to stderr, decoded likewise. */
  stderr: string;
  /** stdout and stderr interleaved in the order they arrived. */
  output: string;
  /** From writing the command to bash until both streams' sentinels arrived. */
  durationMs: number;
  /** The command ran past `timeoutMs` and its processes were killed. */
  timedOut: boolean;
  /** The command's `signal` was aborted while it ran, and its processes were killed. */
  canceled: boolean;
  /** The kernel's OOM killer killed a process of the sandbox while this command ran. */
  oomKilled: boolean;
  /** Output went past `maxOutputBytes`: the middle was dropped (see `droppedBytes`). */
  truncated: boolean;
  /** How many bytes of output were dropped, not kept. */
  droppedBytes: number;
}

/**
 * Options of one `run()` / `stream()` call. Every field is optional; an unknown option or a value
 * of the wrong type rejects with `InvalidArgumentError` before the command is queued.
 *
 * @example
 * ```ts
 * await runner.run('python3 solve.py', {
 *   stdin: input,
 *   timeoutMs: 10_000,
 *   maxOutputBytes: 1024 * 1024,
 *   signal: AbortSignal.timeout(60_000),
 *   onStderr: (text) => process.stderr.write(text),
 *   check: true,
 * });
 * ```
 */
export interface RunOptions {
  /** Text or bytes the command reads on its stdin. Default: none (the command reads end-of-file). */
  stdin?: string | Uint8Array;
  /**
   * Directory to run this command in (absolute, or relative to the session's current one). The
   * session's own directory is as it was afterwards, even if the command `cd`s; a missing
   * directory is the command's failure (exit code 1, bash's message on stderr). Default: the
   * session's current directory.
   */
  cwd?: string;
  /**
   * Variables exported to this command only (as `env` in `VAR=value command`): the session's own
   * values, or their absence, are as they were afterwards. Default: none.
   */
  env?: Record<string, string>;
  /**
   * Reject with `CommandFailedError` when the exit code is not 0, or the command timed out or was
   * canceled. Default: false.
   */
  check?: boolean;
  /** Remove ANSI escape codes from `stdout`, `stderr` and `output`. Default: true. */
  stripAnsi?: boolean;
  /** Called with each piece of stdout as it arrives, decoded as UTF-8 (raw, ANSI codes kept). Default: none. */
  onStdout?: (text: string) => void;
  /** Called with each piece of stderr as it arrives, decoded as UTF-8 (raw, ANSI codes kept). Default: none. */
  onStderr?: (text: string) => void;
  /**
   * Kill the command's processes if it runs longer than this, counted from when it starts (not
   * while it waits in the queue). In ms, up to 2 147 483 647 (Node's timer limit, about 24 days),
   * or `Infinity` for none. Default: the runner's `timeoutMs`; none for a bare session.
   */
  timeoutMs?: number;
  /**
   * Aborting it kills the running command's processes (the result says `canceled`), or removes
   * a queued command (it rejects with `CommandCanceledError`). Default: none.
   */
  signal?: AbortSignal;
  /** Most output bytes the result keeps: the first and the last half; the rest is counted. Default: 16 MiB. */
  maxOutputBytes?: number;
}
