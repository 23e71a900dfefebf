/**
 * Asking the sandbox's memory cgroup how many times the kernel's OOM killer has acted, so that a
 * command killed with 137 can be told apart from one that was merely killed. cgroup v2 keeps the
 * count in memory.events, v1 in memory.oom_control (both as `oom_kill N`). Builtins only.
 */

/** The command that runs the probe: the runtime's `__ds_oom` (shell-runtime.sh) prints the count, or nothing. */
export const OOM_PROBE = '__ds_oom';

/** The probe's output as a number, or undefined when the cgroup gave none. */
export function parseOomCount(stdout: string): number | undefined {
  const match = /^(\d+)\s*$/.exec(stdout);
  return match ? Number(match[1]) : undefined;
}
