/**
 * What docker-shell writes to bash: the launcher, the one-time prelude, and one line per command.
 *
 * The command text is never pasted raw: it travels as one `$'...'` word and runs through `eval`, so
 * unbalanced quotes, a trailing `\`, `&` or `# comment`, a heredoc or a syntax error all stay inside
 * the command, and the completion sentinel after it always runs. bash reads its input one byte per
 * read() from a pipe, so the per-command line is kept short and uses builtins only.
 */
import { ansiCQuote, printfFormat } from './bash-quote.js';

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
    // stderr's marker goes first: by the time stdout's arrives, stderr's usually has too.
    `${DONE}() { builtin local __ds_s=$?; builtin echo "${SENTINEL_PREFIX}$1" >&$__ds_e; builtin echo "${SENTINEL_PREFIX}$1 $__ds_s" >&$__ds_o; }`,
    `readonly -f ${DONE}; readonly __ds_o __ds_e`,
    'shopt -s expand_aliases',
    `\\${DONE} ${readyId}`,
    '',
  ].join('\n');
}

/**
 * Frames one command: returns a function of the uuid that gives the line which runs the command and
 * then prints its sentinel on both streams. Quoting happens here, once, so bad input (a NUL) fails
 * when the command is queued rather than when it reaches the shell.
 * Words are backslash-quoted so aliases a user defines (`alias eval=...`) cannot rewrite the frame.
 * The command's stdin is never bash's own (where the next commands wait): it is `/dev/null`, or the
 * caller's `stdin` bytes through a pipe. bash undoes that redirection after `eval`, even when the
 * command ran `exec 0<...` itself.
 */
export function frameCommand(command: string, stdin?: Uint8Array): (id: string) => string {
  const input = stdin === undefined ? ' </dev/null' : ` < <(builtin printf '${printfFormat(stdin)}')`;
  const head = `\\eval ${ansiCQuote(command)}${input}; \\${DONE} `;
  return (id) => `${head}${id}\n`;
}
