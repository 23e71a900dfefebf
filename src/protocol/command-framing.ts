/**
 * What docker-shell writes to bash: the runtime (once, as the session starts) and one message per
 * command. Pure: builds bytes, runs nothing.
 *
 * The runtime (shell-runtime.sh, read once at import) is a loop in bash that reads each command as
 * data: a length line, then that many bytes read in one go, `<assignments>\n<command>`. The command
 * text is never parsed as shell input, so unbalanced quotes, a trailing `\`, a heredoc without its
 * end or a syntax error stay inside the command; and bash reads only the short length line one byte
 * per read() (each byte is a syscall, which gVisor makes expensive), the rest in bulk.
 *
 * When the loop has ended (a command ran `break 2`, an interrupt broke out of every loop, or bash
 * was re-executed after a fatal error) the next message must be shell input that starts the loop
 * again: the shell says so by adding ` top` to the command's sentinel, and `frameCommand` takes it.
 */
import { readFileSync } from 'node:fs';
import { ansiCQuote, printfFormat } from './bash-quote.js';

/** The sentinel's fixed words; the full line is `exit task <uuid> <exit code>[ top]`. */
export const SENTINEL_PREFIX = 'exit task ';

/** argv that starts the session's bash: no profile or rc files, so the session starts clean. */
export const SHELL_ARGV: readonly string[] = ['bash', '--noprofile', '--norc'];

/** The signal that makes bash skip the rest of an interrupted command (see the runtime's USR2 trap). */
export const INTERRUPT_SIGNAL = 'USR2';

/** Name of the variable that tags a command's processes (see `frameCommand`). */
export const TASK_VARIABLE = '__ds_t';

/** Lines of the runtime that bash needs: comments and indentation cost bytes on every start. */
const SHELL_RUNTIME = readFileSync(new URL('./shell-runtime.sh', import.meta.url), 'utf8')
  .split('\n')
  .map((line) => line.trimStart())
  .filter((line) => line !== '' && !line.startsWith('#'))
  .join('\n');

/**
 * Sent once, before the first command: reads the runtime in one go and evaluates it, then prints
 * the ready sentinel on both streams, carrying bash's pid where a command's carries its exit code.
 * It starts with a newline so that any stray bytes already in bash's input (dockerode's attach can
 * leak its request body there) end as a line of their own. The sentinels go to private copies of
 * stdout and stderr, so a command that redirects or closes its own fd 1 or 2 (`exec >/dev/null`,
 * `exec 2>&-`) cannot stop the session from finding them. The stderr sentinel marks the end of a
 * command's stderr: the streams travel separately, and only both together mean all has arrived.
 */
export function sessionPrelude(readyId: string): string {
  const runtime = `${SHELL_RUNTIME}\n`;
  // __ds_setup on a line of its own: bash 5.2 crashes when the line that read from stdin also
  // duplicates stdin (`exec {fd}<&0`) inside an eval.
  return (
    `\nLC_ALL=C IFS= builtin read -r -N ${Buffer.byteLength(runtime)} __ds_rt && builtin eval "$__ds_rt"\n${runtime}` +
    `__ds_setup; __ds_ready=${readyId}; __ds_restart\n`
  );
}

/**
 * The command loop, sent as shell input whenever the shell is at its top level (see the module's
 * doc), on the first line of a new bash's input (see __ds_restart). The eval's own no-op
 * redirection sets bash's line number to 0 as it starts, so the frame's opening line is line 0 and
 * the command's lines count from 1, as in `bash -c`: bash's messages (and the line it echoes
 * with a syntax error) are the command's own. The inner one-pass loop is what `break` and the interrupt trap
 * leave; a second `{ __ds_fin top; }` reports a command whose `break` left the outer loop too.
 * After bash was replaced, it first defines the user's functions again from the state it was given
 * (`__ds_fdefs`, see `__ds_state`), here where bash names their source as it did the first time,
 * each counting its lines from its own first one (the eval's no-op redirection sets the count).
 * Commands' stdin is /dev/null once for the whole loop, not redirected (saved, restored: 14
 * syscalls, each a costly trap under gVisor) per command; a command that changed its fd 0 (`exec
 * <file`) finds it put back before the next one.
 */
const LOOP = [
  '[[ -z ${__ds_fdefs+x} ]] || { for __ds_fd in "${__ds_fdefs[@]}"; do builtin eval "$__ds_fd" >&${__ds_fo[LINENO = 1, 0]}; done; builtin unset -v __ds_fdefs __ds_fd; } >&$__ds_z 2>&$__ds_z;',
  'while \\__ds_recv; do for __ds_l in 1; do',
  '[[ -z ${__ds_cwd+x} ]] || \\__ds_cd || break;',
  'builtin export __ds_t=$__ds_tg;',
  'if [[ -z ${__ds_sf+x} ]]; then [[ /proc/self/fd/0 -ef /dev/null ]] || builtin exec </dev/null; builtin eval "$__ds_pre$__ds_c$__ds_post" >&${__ds_fo[LINENO = 0, 0]};',
  'else builtin eval "$__ds_pre$__ds_c$__ds_post" < <(builtin printf -- "$__ds_sf") >&${__ds_fo[LINENO = 0, 0]}; fi;',
  'done; __ds_q=$?; [[ -z $__ds_id ]] || { \\__ds_fin; [[ -z $__ds_clr ]] || builtin trap - $__ds_clr; } >&$__ds_z 2>&$__ds_z; done </dev/null;',
  '__ds_q=$?; { \\__ds_fin top; } >/dev/null 2>&1',
].join(' ');

/** Per-command options that the frame carries. */
export interface FrameOptions {
  /** Bytes for the command's stdin (else /dev/null). */
  stdin?: Uint8Array;
  /** Directory the command runs in; the session's own is restored after it. */
  cwd?: string;
  /** Variables exported for the command; the session's own are restored after it. */
  env?: Readonly<Record<string, string>>;
  /**
   * For the loop itself, not a command: how long (whole seconds) it waits for the next message
   * before bash exits and the sandbox with it (a detached sandbox's idle expiry); null for no limit.
   */
  idleTimeoutS?: number | null;
}

/** Variable names a per-command `env` may set: a shell name, and not one of the runtime's own. */
const ENV_NAME = /^(?!__ds_)[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Frames one command: returns a function of the uuid, the task number and whether the shell is at
 * its top level (outside the command loop), giving the bytes to write. Quoting happens here, once,
 * so bad input (a NUL) fails when the command is queued rather than when it reaches the shell.
 *
 * The command's stdin is never bash's own (where the next commands wait): it is `/dev/null`, or the
 * caller's `stdin` bytes through a pipe. `__ds_t=<task>` is in the environment of every program the
 * command starts (and only those), so they can be found and killed when it times out.
 */
export function frameCommand(command: string, options: FrameOptions = {}): (id: string, task: number | string, topLevel: boolean) => Buffer {
  ansiCQuote(command); // throws on NUL: bash strings cannot hold it
  let assignments = '';
  if (options.cwd !== undefined) assignments += ` __ds_cwd=${ansiCQuote(options.cwd, 'cwd')}`;
  if (options.stdin !== undefined) assignments += ` __ds_sf=${ansiCQuote(printfFormat(options.stdin), 'stdin')}`;
  if (options.env !== undefined && Object.keys(options.env).length > 0) {
    const words = Object.entries(options.env).map(([name, value]) => `${name} ${ansiCQuote(value, `env.${name}`)}`);
    assignments += ` __ds_env=(${words.join(' ')})`;
  }
  if (options.idleTimeoutS !== undefined) assignments += ` __ds_to=${options.idleTimeoutS === null ? '' : Math.max(1, Math.ceil(options.idleTimeoutS))}`;
  const text = Buffer.from(`${assignments}\n${command}`);
  // The line bash reports a killed program at (see __ds_post in shell-runtime.sh): the last one.
  const lines = (command.replace(/\n+$/, '').match(/\n/g)?.length ?? 0) + 1;
  return (id, task, topLevel) => {
    const body = Buffer.concat([Buffer.from(`__ds_id=${id} __ds_tg=${task} __ds_ln=${lines}`), text]);
    const head = topLevel ? `__ds_h=${body.length}; ${LOOP}\n` : `${body.length}\n`;
    return Buffer.concat([Buffer.from(head), body]);
  };
}

/** True when `name` can be a per-command environment variable. */
export function isEnvName(name: string): boolean {
  return ENV_NAME.test(name);
}
