/**
 * The bash script that ends an extra shell at once: it kills every process that carries the shell's
 * tag (its bash and subshells) or one of its commands' tags (`<tag>.<task>`: what it runs, and the
 * background jobs it started), in passes until none is left, so a forking tree cannot outrun it.
 */
import { TASK_VARIABLE } from '../../protocol/command-framing.js';

/** argv to run: `bash -c <script> stop-shell <tag>`. */
export function stopShellCommand(tag: string): string[] {
  return ['bash', '--noprofile', '--norc', '-c', STOP_SCRIPT, 'stop-shell', tag];
}

const STOP_SCRIPT = `
tag=$1
for pass in 1 2 3 4 5 6 7 8 9 10; do
  victims=()
  for d in /proc/[0-9]*; do
    p=\${d#/proc/}
    [[ $p == "$$" ]] && continue
    while IFS= read -r -d '' e; do
      [[ $e == ${TASK_VARIABLE}=* ]] || continue
      [[ $e == "${TASK_VARIABLE}=$tag" || $e == "${TASK_VARIABLE}=$tag".* ]] && victims+=("$p")
      break
    done 2>/dev/null < "$d/environ"
  done
  (( \${#victims[@]} == 0 )) && break
  kill -KILL "\${victims[@]}" 2>/dev/null
done
`;
