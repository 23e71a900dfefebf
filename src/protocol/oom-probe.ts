/**
 * Asking the sandbox's memory cgroup how many times the kernel's OOM killer has acted, so that a
 * command killed with 137 can be told apart from one that was merely killed. cgroup v2 keeps the
 * count in memory.events, v1 in memory.oom_control (both as `oom_kill N`). Builtins only.
 */

/** Prelude function: prints the count, or nothing when the cgroup does not say; keeps `$?`. */
export const OOM_PROBE_FUNCTION =
  '__ds_oom() { builtin local s=$? f=/sys/fs/cgroup/memory.events k v; [[ -r $f ]] || f=/sys/fs/cgroup/memory/memory.oom_control; ' +
  'while builtin read -r k v; do [[ $k == oom_kill ]] && builtin echo "$v"; done 2>/dev/null < "$f"; return $s; }';

/** The command that runs the probe. */
export const OOM_PROBE = '__ds_oom';

/** The probe's output as a number, or undefined when the cgroup gave none. */
export function parseOomCount(stdout: string): number | undefined {
  const match = /^(\d+)\s*$/.exec(stdout);
  return match ? Number(match[1]) : undefined;
}
