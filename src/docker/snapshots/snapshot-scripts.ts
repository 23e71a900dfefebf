/**
 * The bash a snapshot runs: in the parent's session (its shell state), in `docker exec`s beside it
 * (freezing the sandbox, archiving its writable places), and in the child's session (files back,
 * state adopted). Pure: texts and argv only. Paths travel as arguments, never inside script text.
 */

/** Where a snapshot image keeps what is not in its filesystem as it was: the tmpfs files and the shell state. */
export const SNAPSHOT_DIR = '/.docker-shell/snapshot';
export const FILES_ARCHIVE = `${SNAPSHOT_DIR}/files.tar`;
export const STATE_SCRIPT = `${SNAPSHOT_DIR}/state.sh`;

/**
 * A session command that prints `marker` and then the shell's state as `__ds_state` gives it to a
 * re-executed bash (see shell-runtime.sh), as it would be between commands: in a subshell (the
 * session's own shell is untouched), with the user's tracing and errexit flags off (the runtime
 * keeps them in `__ds_fl`, and `__ds_enter` puts them back before each command, as it keeps the
 * DEBUG and ERR traps in `__ds_tdbg` / `__ds_terr`), and the running command's own bookkeeping
 * cleared (and a detached sandbox's idle limit, `__ds_to`). Its traps are left alone: a subshell lists its parent's only until a trap is set in it.
 * What a user's DEBUG trap prints goes to /dev/null (the state goes out on fd 3), and the marker
 * keeps out what it printed before the subshell.
 */
export function stateCommand(marker: string): string {
  // Unsetting POSIXLY_CORRECT (set or not) turns alias expansion off: it is put back as the shell has it.
  return [
    '__ds_sa=$BASHOPTS',
    '( builtin set +xvTEeuna',
    '  builtin unset -v POSIXLY_CORRECT __ds_t; [[ -z $__ds_bt ]] || builtin export __ds_t=$__ds_bt',
    '  [[ :$__ds_sa: != *:expand_aliases:* ]] || builtin shopt -s expand_aliases; builtin unset -v __ds_sa',
    '  __ds_id= __ds_in= __ds_top= __ds_s=0 __ds_h= __ds_hold= __ds_held= __ds_ready= __ds_c= __ds_b= __ds_clr= __ds_tclr= __ds_to=',
    `  { builtin printf '%s\\n' ${marker}; __ds_state; } >&3 ) 3>&1 >/dev/null; builtin unset -v __ds_sa`,
  ].join('\n');
}

/** The last lines of every `__ds_state` script: the end of the quiet block, then the runtime's setup. */
const STATE_TAIL = '} >/dev/null 2>&1\n__ds_setup\n';

/**
 * The state script as the child adopts it: the DEBUG and ERR traps are removed at the end of its
 * quiet block (the runtime sets them again before each command, from `__ds_tdbg` / `__ds_terr`),
 * so that neither fires on the runtime's own commands in the new bash. Undefined when `script` is
 * not a state script.
 */
export function adoptableState(script: Buffer): Buffer | undefined {
  const tail = script.lastIndexOf(STATE_TAIL);
  if (tail < 0) return undefined;
  return Buffer.concat([script.subarray(0, tail), Buffer.from('builtin trap - DEBUG ERR\n'), script.subarray(tail)]);
}

/**
 * `bash -c FREEZE bash <shellPid>`, as the sandbox user: stops every process of the sandbox but
 * PID 1 (the init, which only reaps) and itself with SIGSTOP, prints `p <pid> <argv>` for each
 * process but the session's bash (what the snapshot does not carry) and then `frozen`, waits for a
 * line (or end of file) on stdin, and sends SIGCONT to exactly the processes it stopped: one that
 * was stopped already (state T or t) stays stopped.
 *
 * Why not the engine's freezer (`docker pause`): it freezes execs too, so nothing could read the
 * tmpfs places while the sandbox is paused, and the engine cannot read them from outside (they
 * live only in the container's mount namespace). Signals from inside, as the processes' own user,
 * need no capability. A process forked while the scan runs is caught by the next pass: passes repeat
 * until one stops nothing new, and a stopped process forks no more. A process of another user
 * (none, unless a capability or setuid let one appear) cannot be signalled and keeps running.
 * The scan uses builtins only: no process of its own to tell apart.
 */
export const FREEZE = `exec 2>/dev/null
shell=$1
declare -A seen=([1]=1 [$$]=1)
stopped=()
trap '((\${#stopped[@]} == 0)) || kill -CONT "\${stopped[@]}"' EXIT
again=1
while ((again)); do
  again=0
  for d in /proc/[0-9]*; do
    p=\${d#/proc/}
    [[ -z \${seen[$p]} ]] || continue
    seen[$p]=1
    IFS= read -r st <"$d/stat" || continue
    st=\${st##*) } st=\${st%% *}
    if [[ $p != "$shell" ]]; then
      argv=()
      mapfile -d '' -t argv <"$d/cmdline"
      printf 'p %s %s\\n' "$p" "\${argv[*]//$'\\n'/ }"
    fi
    [[ $st != [Tt] ]] || continue
    kill -STOP "$p" && { stopped+=("$p"); again=1; }
  done
done
echo frozen
read -r _ || true`;

/**
 * `bash -c ARCHIVE bash <n> <exclude>×n <place>...`: a tar on stdout of what each place (relative
 * to /) holds, not the place itself (its mount point's owner and mode are the child's own, and a
 * non-root user could not set them), leaving out the `n` paths given (bind mounts inside a place:
 * host directories, not the sandbox's). Names are fed NUL-separated, so any name works.
 */
export const ARCHIVE = `cd / || exit 1
n=$1; shift
ex=()
for ((i = 0; i < n; i++)); do ex+=("--exclude=$1"); shift; done
shopt -s dotglob nullglob
members=()
for place; do members+=("$place"/*); done
{ ((\${#members[@]} == 0)) || printf '%s\\0' "\${members[@]}"; } | tar --null --anchored --no-wildcards "\${ex[@]}" -T - -cf -`;

/** A session command in the child: puts the parent's files back into their places (as the sandbox user). */
export const EXTRACT_COMMAND = `builtin command tar -xf ${FILES_ARCHIVE} -C / 2>&1`;

/**
 * A session command in the child, right after its session opened: replaces the child's fresh bash
 * with one that is given the parent's state, the way the runtime's `__ds_restart` re-executes
 * bash after a fatal error: the command is reported done with ` top` (the next one is sent with the
 * command loop), then `exec bash` with BASH_ENV on the state script, which the new bash reads whole
 * before its input, so it is in the parent's cwd, variables, functions, aliases, options, umask and
 * directory stack when the next command arrives. Fails (status 1) without exec'ing when the image
 * has no state script.
 */
export const ADOPT_COMMAND = adoptCommand(`<${STATE_SCRIPT}`);

/** The adopt command, with the state script read from `redirection` (a file, or a here-string of it). */
export function adoptCommand(redirection: string): string {
  return `if builtin exec {__ds_r}${redirection}; then
__ds_s=0 __ds_top=top __ds_hold=1
{ __ds_done; } >&$__ds_z 2>&$__ds_z
__ds_hk=$__ds_held __ds_held=
builtin echo "exit task \${__ds_hk%% *}" >&$__ds_e
builtin echo "exit task $__ds_hk" >&$__ds_o
BASH_ENV=/dev/fd/$__ds_r builtin exec -a bash "$BASH" --noprofile --norc <&$__ds_i >&$__ds_o 2>&$__ds_e {__ds_i}<&- {__ds_o}>&- {__ds_e}>&- {__ds_z}>&-
else builtin false; fi`;
}

/** A background process the snapshot found running (and does not carry), from a `p` line of FREEZE. */
export interface ProcessLine {
  pid: number;
  command: string;
}

/** The `p <pid> <argv>` lines of FREEZE's output. */
export function parseProcessLines(lines: readonly string[]): ProcessLine[] {
  const found: ProcessLine[] = [];
  for (const line of lines) {
    const match = /^p (\d+) ?(.*)$/.exec(line);
    if (match) found.push({ pid: Number(match[1]), command: match[2] ?? '' });
  }
  return found;
}
