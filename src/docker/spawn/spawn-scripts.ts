/**
 * The two bash programs behind a spawned process: the wrapper that starts it, and the killer that
 * ends its whole tree. Builtins and /proc only, so they need nothing in the image but bash.
 */
import { TASK_VARIABLE } from '../../protocol/command-framing.js';

/** The environment tag of the n-th spawned process of a runner: the session's kills spare it. */
export function spawnTag(n: number): string {
  return `spawn-${n}`;
}

/** `KEY=value` of the tag, for the exec's environment. */
export function tagVariable(tag: string): string {
  return `${TASK_VARIABLE}=${tag}`;
}

/**
 * argv of the exec: bash prints its pid on stderr (the first line there, which the reader takes
 * off), then runs the command. The command is a script line of its own, not `eval`ed: bash parses
 * it only after the pid is out, so a syntax error is the command's own result, and bash execs a
 * last simple command in place (a server's pid is the one reported).
 */
export function spawnArgv(command: string): string[] {
  return ['bash', '--noprofile', '--norc', '-c', `printf '%d\\n' "$$" >&2\n${command}`];
}

/**
 * argv of the killer: `bash -c <script> kill <tag> <signal> <leader>`. Victims are the processes
 * carrying the tag in their environment (every descendant inherits it, double-forked daemons too)
 * and those in the leader's session (every exec is a session leader; this catches a child that
 * cleared its environment). They are stopped in passes until no new one appears, so a tree that
 * forks quickly cannot outrun it, then signalled and continued.
 */
export function killArgv(tag: string, signal: string, leaderPid: number): string[] {
  return ['bash', '--noprofile', '--norc', '-c', KILL_SCRIPT, 'kill', tag, signal.replace(/^SIG/, ''), String(leaderPid)];
}

const KILL_SCRIPT = `
tag=$1 sig=$2 leader=$3
declare -A seen
ours() {
  local stat f e
  if { read -r stat < "/proc/$1/stat"; } 2>/dev/null; then
    read -r -a f <<< "\${stat##*) }"
    [[ \${f[3]} == "$leader" ]] && return 0
  fi
  while IFS= read -r -d '' e; do
    [[ $e == "${TASK_VARIABLE}=$tag" ]] && return 0
  done 2>/dev/null < "/proc/$1/environ"
  return 1
}
for pass in 1 2 3 4 5 6 7 8 9 10; do
  fresh=()
  for d in /proc/[0-9]*; do
    p=\${d#/proc/}
    [[ $p == "$$" || -n \${seen[$p]} ]] && continue
    ours "$p" && fresh+=("$p")
  done
  (( \${#fresh[@]} == 0 )) && break
  for p in "\${fresh[@]}"; do seen[$p]=1; done
  kill -STOP "\${fresh[@]}" 2>/dev/null
done
(( \${#seen[@]} == 0 )) && exit 0
kill -s "$sig" "\${!seen[@]}" 2>/dev/null
[[ $sig == STOP || $sig == TSTP ]] || kill -CONT "\${!seen[@]}" 2>/dev/null
exit 0
`;
