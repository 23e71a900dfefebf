/**
 * Who owns a container: the value of its `dev.docker-shell.owner` label, `<hostname>:<pid>`, and
 * whether that process is still alive. Shared by `prune` and the reaper, so both read the label
 * the same way `runnerLabels()` writes it.
 */
import { hostname } from 'node:os';

/** An owner label, parsed. */
export interface Owner {
  hostname: string;
  pid: number;
}

/** The owner label value of this process: `<hostname>:<pid>`, exactly as `runnerLabels()` writes it. */
export function currentOwner(): string {
  return `${hostname()}:${process.pid}`;
}

/**
 * Parses `<hostname>:<pid>`; undefined when the value is missing or malformed. The pid is split off
 * at the last colon, so a hostname with colons in it still parses.
 */
export function parseOwner(value: string | undefined): Owner | undefined {
  if (value === undefined) return undefined;
  const colon = value.lastIndexOf(':');
  const host = value.slice(0, colon);
  const pidText = value.slice(colon + 1);
  // Only a positive decimal pid: process.kill(0 or a negative number) would signal a whole process group.
  if (colon <= 0 || !/^[1-9][0-9]*$/.test(pidText)) return undefined;
  const pid = Number(pidText);
  return Number.isSafeInteger(pid) ? { hostname: host, pid } : undefined;
}

/**
 * True while a process with this pid exists on this host. Signal 0 checks without signalling:
 * ESRCH means no such process; EPERM means it exists but belongs to another user, so it is alive.
 * Any other failure also counts as alive: when in doubt, a container is kept, never removed.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
