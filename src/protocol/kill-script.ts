/**
 * The bash script that kills a timed-out or canceled command's processes, run on a second channel
 * (a `docker exec`, or a local bash): without a TTY, no byte on the shell's stdin can interrupt a
 * running command.
 *
 * Which processes: those tagged `__ds_t=<task tag>` in their environment (every program the command
 * started carries it), and untagged ones that started after the command did (subshells, which
 * fork without exec). Never the session's bash, PID 1 or the killer itself, and never a process
 * tagged by an earlier command: background jobs started on purpose survive. When several sessions
 * share a sandbox, each bash starts with its session's tag in its environment, so its subshells
 * carry that tag: fresh ones count as the command's only for the session whose tag it is, and
 * another session's are spared like any tagged process. Scope `container`
 * looks at every process (the sandbox is a PID namespace, and daemonized processes leave the
 * shell's tree); scope `descendants` only at the shell's descendants (a shared host).
 * The victims are stopped first, in passes until no new one appears, then killed: a process tree
 * that forks quickly cannot outrun it. bash gets SIGUSR2 before the kill, so it skips the rest of
 * the command (a loop would otherwise start its next round). Builtins and /proc only, so it needs
 * nothing in the image but bash.
 */
import { INTERRUPT_SIGNAL, TASK_VARIABLE } from './command-framing.js';

export type KillScope = 'container' | 'descendants';

/**
 * argv to run: `bash -c <script> kill <shellPid> <taskTag> <elapsedMs> <scope> <sessionTag>`.
 * `taskTag` is the command's `__ds_t` value; `sessionTag` the one its bash started with ('' for none).
 */
export function killCommand(shellPid: number, taskTag: number | string, elapsedMs: number, scope: KillScope, sessionTag = ''): string[] {
  const argv = [String(shellPid), String(taskTag), String(Math.floor(elapsedMs)), scope, sessionTag];
  return ['bash', '--noprofile', '--norc', '-c', KILL_SCRIPT, 'kill', ...argv];
}

const KILL_SCRIPT = `
shell=$1 task=$2 elapsed_ms=$3 scope=$4 base=$5
read -r up _ < /proc/uptime
# /proc/uptime has hundredths of a second; process start times are in USER_HZ (100) ticks.
since=$(( 10#\${up/./} - elapsed_ms / 10 - 5 ))
declare -A ppid_of start_of seen
scan() {
  ppid_of=() start_of=()
  local d p stat f
  for d in /proc/[0-9]*; do
    p=\${d#/proc/}
    [[ $p == "$$" || $p == "$PPID" || $p == 1 || $p == "$shell" ]] && continue
    { read -r stat < "$d/stat"; } 2>/dev/null || continue
    read -r -a f <<< "\${stat##*) }"
    ppid_of[$p]=\${f[1]}
    start_of[$p]=\${f[19]}
  done
}
# 0: tagged with this task; 1: tagged by another (task or session); 2: untagged (or unreadable:
# another user's); 3: tagged with this session's own tag (its bash's subshells).
tag_of() {
  local e
  while IFS= read -r -d '' e; do
    [[ $e == "${TASK_VARIABLE}=$task" ]] && return 0
    [[ -n $base && $e == "${TASK_VARIABLE}=$base" ]] && return 3
    [[ $e == ${TASK_VARIABLE}=* ]] && return 1
  done 2>/dev/null < "/proc/$1/environ"
  return 2
}
under_shell() {
  local p=$1 n=0
  while (( n++ < 256 )); do
    p=\${ppid_of[$p]:-0}
    [[ $p == "$shell" ]] && return 0
    (( p <= 1 )) && return 1
  done
  return 1
}
for pass in 1 2 3 4 5 6 7 8 9 10; do
  scan
  fresh=()
  for p in "\${!ppid_of[@]}"; do
    [[ -n \${seen[$p]} ]] && continue
    if [[ $scope == descendants ]] && ! under_shell "$p"; then continue; fi
    tag_of "$p"; t=$?
    if (( t == 0 )) || { (( t >= 2 )) && (( \${start_of[$p]:-0} >= since )); }; then fresh+=("$p"); fi
  done
  (( \${#fresh[@]} == 0 )) && break
  for p in "\${fresh[@]}"; do seen[$p]=1; done
  kill -STOP "\${fresh[@]}" 2>/dev/null
done
# First tell bash to skip the rest of the command (its trap runs once the killed process is reaped).
kill -${INTERRUPT_SIGNAL} "$shell" 2>/dev/null
(( \${#seen[@]} > 0 )) && kill -KILL "\${!seen[@]}" 2>/dev/null
echo "killed \${#seen[@]}"
`;
