/**
 * session.suspendTimers() / resumeTimers() on a local bash: a frozen command's timeout does not run
 * down while its timers are suspended, and runs down the rest of the way after. The command is
 * frozen with SIGSTOP, as a paused sandbox freezes it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { SessionClosedError } from '../../src/errors.js';
import { startLocalSession, type LocalSession } from '../../src/session/local-bash.js';
import { Session, type CommandEvent } from '../../src/session/session.js';
import { SuspendableTimers } from '../../src/session/suspendable-timers.js';

let local: LocalSession;

beforeEach(async () => {
  local = await startLocalSession();
});
afterEach(async () => {
  await local.close();
});

const PAUSE_MS = 1500;

/** Runs `sleep <seconds>` in the background of a command, and resolves with its pid and the result to come. */
async function startSleeper(seconds: number, timeoutMs: number): Promise<{ pid: number; result: Promise<CommandEvent[]> }> {
  const events = local.session.stream(`sleep ${seconds} & echo $!; wait $!`, { timeoutMs });
  const first = await events.next();
  if (first.done || first.value.type !== 'stdout') throw new Error('the command printed no pid');
  const pid = Number(first.value.data.toString());
  const rest = (async () => {
    const seen: CommandEvent[] = [];
    for await (const event of events) seen.push(event);
    return seen;
  })();
  return { pid, result: rest };
}

/** Freezes `pid` and the session's timers for PAUSE_MS, then thaws both; resolves with when it thawed. */
async function freeze(pid: number): Promise<number> {
  local.session.suspendTimers();
  process.kill(pid, 'SIGSTOP');
  await sleep(PAUSE_MS); // the length of the pause is what is under test
  process.kill(pid, 'SIGCONT');
  const thawedAt = performance.now();
  local.session.resumeTimers();
  return thawedAt;
}

function resultOf(events: CommandEvent[]) {
  const last = events.at(-1);
  if (last?.type !== 'result') throw new Error('no result');
  return last.result;
}

describe('session.suspendTimers()', () => {
  it('lets a command that needs 600 ms of its 1000 ms complete across a 1500 ms freeze', async () => {
    const { pid, result } = await startSleeper(0.6, 1000);
    await freeze(pid);
    const done = resultOf(await result);
    expect(done).toMatchObject({ timedOut: false, exitCode: 0 });
    expect(done.durationMs).toBeGreaterThan(PAUSE_MS);
    expect(local.session.areTimersSuspended).toBe(false);
  });

  it('still times out a command that needs more than its timeout, with the time it had left after the thaw', async () => {
    const startedAt = performance.now();
    const { pid, result } = await startSleeper(30, 1000);
    const thawedAt = await freeze(pid);
    const done = resultOf(await result);
    expect(done.timedOut).toBe(true);
    // Before the freeze it had run at most (thawedAt - PAUSE_MS - startedAt) of its 1000 ms.
    const ranBeforeMs = thawedAt - PAUSE_MS - startedAt;
    expect(performance.now() - thawedAt).toBeGreaterThanOrEqual(1000 - ranBeforeMs - 20);
  });

  it('holds the ready timeout of Session.open() while suspended', async () => {
    const timers = new SuspendableTimers();
    timers.suspend();
    const stdin = new PassThrough();
    const transport = { stdin, stdout: new PassThrough(), stderr: new PassThrough(), closed: new Promise<never>(() => {}) };
    let settled = false;
    const opening = Session.open(transport, { readyTimeoutMs: 100, timers }).finally(() => (settled = true));
    opening.catch(() => {});
    await sleep(400); // four times the ready timeout: it would have fired
    expect(settled).toBe(false);
    timers.resume();
    await expect(opening).rejects.toBeInstanceOf(SessionClosedError);
  });
});
