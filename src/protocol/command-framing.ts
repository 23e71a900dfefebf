/**
 * What docker-shell writes to bash: the launcher, the one-time prelude, and one line per command.
 *
 * The command text is never pasted raw: it travels as one `$'...'` word and runs through `eval`, so
 * unbalanced quotes, a trailing `\`, `&` or `# comment`, a heredoc or a syntax error all stay inside
 * the command, and the completion sentinel after it always runs. bash reads its input one byte per
 * read() from a pipe, so the per-command line is kept short and uses builtins only.
 */
import { ansiCQuote, printfFormat } from './bash-quote.js';
import { OOM_PROBE_FUNCTION } from './oom-probe.js';

/** The sentinel's fixed words; the full line is `exit task <uuid> <exit code>`. */
export const SENTINEL_PREFIX = 'exit task ';

/** Name of the prelude's completion function (read-only once defined). */
const DONE = '__ds_done';

/** argv that starts the session's bash: no profile or rc files, so the session starts clean. */
export const SHELL_ARGV: readonly string[] = ['bash', '--noprofile', '--norc'];

/**
 * Sent once, before the first command. It starts with a newline so that any stray bytes already in
 * bash's input (dockerode's attach can leak its request body there) end as a line of their own.
 * The sentinel goes to private copies of stdout and stderr, so a command that redirects or closes
 * its own fd 1 or 2 (`exec >/dev/null`, `exec 2>&-`) cannot stop the session from finding it.
 * A second sentinel on stderr marks the end of the command's stderr: the two streams travel
 * separately, and only both markers together mean all of a command's output has arrived.
 */
export function sessionPrelude(readyId: string): string {
  return [
    '',
    'exec {__ds_o}>&1 {__ds_e}>&2',
    // stderr's marker goes first: by the time stdout's arrives, stderr's usually has too. The
    // function returns the command's status, so the next command's `$?` is what it would be.
    // `enable` first: a command may have disabled a builtin (`enable -n echo`) the sentinel needs.
    `${DONE}() { __ds_s=$?; builtin enable echo return; builtin echo "${SENTINEL_PREFIX}$1" >&$__ds_e; builtin echo "${SENTINEL_PREFIX}$1 $__ds_s" >&$__ds_o; return $__ds_s; }`,
    OOM_PROBE_FUNCTION,
    // Interrupting a command sends bash SIGUSR2: the trap breaks out of every loop up to the
    // frame's own, so the rest of the command is skipped (2>/dev/null: between commands it is a no-op).
    `trap 'break 100000 2>/dev/null' ${INTERRUPT_SIGNAL}`,
    `readonly -f ${DONE} __ds_oom; readonly __ds_o __ds_e`,
    'shopt -s expand_aliases',
    // The ready sentinel carries bash's pid where a command's would carry its exit code.
    `builtin echo "${SENTINEL_PREFIX}${readyId}" >&$__ds_e; builtin echo "${SENTINEL_PREFIX}${readyId} $$" >&$__ds_o`,
    '',
  ].join('\n');
}

/** The signal that makes bash skip the rest of an interrupted command (see the prelude's trap). */
export const INTERRUPT_SIGNAL = 'USR2';

/** Name of the variable that tags a command's processes (see `frameCommand`). */
export const TASK_VARIABLE = '__ds_t';

/**
 * Frames one command: returns a function of the uuid and the task number that gives the line
 * which runs the command and then prints its sentinel on both streams. Quoting happens here, once,
 * so bad input (a NUL) fails when the command is queued rather than when it reaches the shell.
 *
 * Words are backslash-quoted so aliases a user defines (`alias eval=...`) cannot rewrite the frame.
 * The command's stdin is never bash's own (where the next commands wait): it is `/dev/null`, or the
 * caller's `stdin` bytes through a pipe. bash undoes that redirection after `eval`, even when the
 * command ran `exec 0<...` itself.
 * `__ds_t=<task>` is in the environment of every program the command starts (and only those: it
 * does not stay in the shell), so they can be found and killed when it times out. The one-pass
 * loop around it is what the interrupt trap breaks out of. The line starts with an empty one:
 * after an `eval` syntax error inside a loop, bash misreads the first token of the next line
 * (`for` is no longer a keyword, a top-level syntax error that ends the shell); an empty line
 * takes that hit.
 */
export function frameCommand(command: string, stdin?: Uint8Array): (id: string, task: number | string) => string {
  const input = stdin === undefined ? ' </dev/null' : ` < <(builtin printf '${printfFormat(stdin)}')`;
  const body = `\\eval ${ansiCQuote(command)}${input}; done; \\${DONE} `;
  return (id, task) => `\nfor __ds_l in 1; do ${TASK_VARIABLE}=${task} ${body}${id}\n`;
}
