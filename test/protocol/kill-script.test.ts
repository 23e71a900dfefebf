/**
 * The kill script's choice of victims by tag, run on local bash (scope `descendants`, so only the
 * test's own processes are looked at): a shell whose children carry every kind of tag, all of them
 * started after the "command" began.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { killCommand } from '../../src/protocol/kill-script.js';
import { isRunning } from '../helpers/processes.js';

const run = promisify(execFile);

/** Each child of the test shell: its `__ds_t` (none for untagged), all running `sleep`. */
const CHILDREN = {
  task: 'x.1',
  sessionOwn: 'x',
  untagged: undefined,
  earlierTask: 'x.0',
  otherSession: 'y',
  otherSessionTask: 'y.1',
} as const;
type Child = keyof typeof CHILDREN;

let shell: ChildProcessWithoutNullStreams | undefined;

afterEach(async () => {
  if (!shell) return;
  // The shell leads its own process group: this ends it and whatever of its children survived.
  process.kill(-(shell.pid as number), 'SIGKILL');
  if (shell.exitCode === null && shell.signalCode === null) await once(shell, 'exit');
  shell = undefined;
});

/** Starts the shell and its children; resolves once each child is `sleep` (carrying its final environment). */
async function startShell(): Promise<{ shellPid: number; pids: Record<Child, number> }> {
  const lines = Object.entries(CHILDREN).map(([name, tag]) => `${tag === undefined ? '' : `__ds_t=${tag} `}sleep 60 & echo "${name} $!"`);
  // The kill script sends bash SIGUSR2 (for the session's trap); this shell ignores it.
  const script = ["trap '' USR2", ...lines, 'echo ready', 'wait'].join('\n');
  shell = spawn('bash', ['--noprofile', '--norc', '-c', script], { detached: true, env: { PATH: process.env.PATH } });
  let text = '';
  shell.stdout.setEncoding('utf8');
  for await (const chunk of shell.stdout) {
    text += chunk as string;
    if (text.includes('ready\n')) break;
  }
  const pids = {} as Record<Child, number>;
  for (const [, name, pid] of text.matchAll(/^(\w+) (\d+)$/gm)) pids[name as Child] = Number(pid);
  // Between fork and exec a child still has bash's environment (no tag): wait for the exec.
  for (const pid of Object.values(pids)) await until(() => comm(pid) === 'sleep');
  return { shellPid: shell.pid as number, pids };
}

function comm(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

async function until(condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('condition not met');
}

/** Runs the kill script for task `x.1` of a command that began long before any child. */
async function killTask(shellPid: number, sessionTag?: string): Promise<void> {
  const [file, ...args] = killCommand(shellPid, 'x.1', 1e9, 'descendants', sessionTag) as [string, ...string[]];
  await run(file, args);
}

/** Which children died; the kill script's SIGKILL is sent before it exits, reaping may lag. */
async function killed(pids: Record<Child, number>, expected: Child[]): Promise<Child[]> {
  await until(() => expected.every((name) => !isRunning(pids[name])));
  return (Object.keys(pids) as Child[]).filter((name) => !isRunning(pids[name]));
}

describe('killCommand: victims by tag', () => {
  it("with a session tag: the task's processes, and fresh ones of that session or untagged; never another task's or session's", async () => {
    const { shellPid, pids } = await startShell();
    await killTask(shellPid, 'x');
    const expected: Child[] = ['task', 'sessionOwn', 'untagged'];
    expect((await killed(pids, expected)).sort()).toEqual(expected.sort());
  });

  it("without a session tag: the task's processes and fresh untagged ones; a session-tagged one is another's", async () => {
    const { shellPid, pids } = await startShell();
    await killTask(shellPid);
    const expected: Child[] = ['task', 'untagged'];
    expect((await killed(pids, expected)).sort()).toEqual(expected.sort());
  });
});
