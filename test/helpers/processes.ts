/** Helpers of the tests that watch processes: dead pids, liveness, sessions and signal handlers. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';

/** The pid of a process that has certainly exited: `true`, waited for. */
export async function deadPid(): Promise<number> {
  const child = spawn('true', { stdio: 'ignore' });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not spawn `true`');
  await once(child, 'exit');
  return pid;
}

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces); undefined once gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** True while the process runs: it exists and is not a zombie waiting to be reaped. Linux only. */
export function isRunning(pid: number): boolean {
  const state = statFields(pid)?.[0];
  return state !== undefined && state !== 'Z' && state !== 'X';
}

/** The session id of a process (its own pid when it leads its own session). Linux only. */
export function sessionOf(pid: number): number | undefined {
  const sid = statFields(pid)?.[3];
  return sid === undefined ? undefined : Number(sid);
}

/** True when the process has a handler installed for `signal` (its SigCgt mask). Linux only. */
export function catchesSignal(pid: number, signal: 'SIGHUP' | 'SIGINT' | 'SIGTERM'): boolean {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return false;
  }
  const mask = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  return mask !== undefined && ((BigInt(`0x${mask}`) >> BigInt(constants.signals[signal] - 1)) & 1n) === 1n;
}
