/**
 * Timeouts, cancellation and output caps against a local bash: the command's processes die, the
 * session and its state live on, and nothing of the killed command leaks into the next one.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommandCanceledError, CommandFailedError, InvalidArgumentError } from '../../src/errors.js';
import { startLocalSession, type LocalSession } from '../../src/session/local-bash.js';
import type { Session } from '../../src/session/session.js';

let local: LocalSession;
let session: Session;

beforeEach(async () => {
  local = await startLocalSession();
  session = local.session;
  await session.run('cd /tmp && KEPT=yes');
});
afterEach(async () => {
  await local.close();
});

async function expectStateKept(): Promise<void> {
  expect((await session.run('echo "$PWD $KEPT"')).stdout).toBe('/tmp yes\n');
}

describe('timeoutMs', () => {
  it('kills the running program, skips the rest of the command, and keeps the session', async () => {
    const result = await session.run('echo start; sleep 30; echo never', { timeoutMs: 200 });
    expect(result).toMatchObject({ timedOut: true, canceled: false, exitCode: 137, stdout: 'start\n' });
    await expectStateKept();
  });

  it('stops a loop of programs instead of letting it start its next round', async () => {
    const result = await session.run('for i in 1 2 3 4 5; do sleep 1; echo "round $i"; done', { timeoutMs: 200 });
    expect(result).toMatchObject({ timedOut: true, stdout: '' });
    await expectStateKept();
  });

  it('breaks a busy loop in bash itself (no process to kill) and keeps the session', async () => {
    const result = await session.run('n=0; while :; do n=$((n+1)); done; echo never', { timeoutMs: 200 });
    expect(result).toMatchObject({ timedOut: true, stdout: '' });
    await expectStateKept();
  });

  it('spares background jobs that earlier commands started on purpose', async () => {
    await session.run('sleep 60 & echo $! > bg.pid');
    await session.run('sleep 30 & sleep 30', { timeoutMs: 200 });
    expect((await session.run('kill -0 "$(cat bg.pid)" && echo alive; kill "$(cat bg.pid)"; rm bg.pid')).stdout).toBe('alive\n');
  });

  it('rejects with CommandFailedError (timedOut) when check is on', async () => {
    const error = await session.run('sleep 30', { timeoutMs: 100, check: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandFailedError);
    expect(error).toMatchObject({ timedOut: true, exitCode: 137 });
    expect((error as Error).message).toMatch(/timed out/);
  });

  it('leaks nothing of the killed command into the next one', async () => {
    await session.run('for i in $(seq 1000000); do echo "spam $i"; done', { timeoutMs: 100 });
    expect(await session.run('echo clean')).toMatchObject({ stdout: 'clean\n', stderr: '' });
  });
});

describe('signal', () => {
  it('cancels a running command: its processes die and the result says canceled', async () => {
    const controller = new AbortController();
    const running = session.run('echo begun; sleep 30; echo never', { signal: controller.signal, onStdout: () => controller.abort() });
    expect(await running).toMatchObject({ canceled: true, timedOut: false, stdout: 'begun\n' });
    await expectStateKept();
  });

  it('removes a queued command before it starts, which then never runs', async () => {
    const controller = new AbortController();
    const first = session.run('sleep 0.2');
    const queued = session.run('touch ran-anyway', { signal: controller.signal });
    controller.abort();
    await expect(queued).rejects.toBeInstanceOf(CommandCanceledError);
    await first;
    expect((await session.run('test -e ran-anyway; echo $?')).stdout).toBe('1\n');
  });

  it('rejects at once when already aborted', async () => {
    await expect(session.run('true', { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ERR_COMMAND_CANCELED' });
  });
});

describe('maxOutputBytes', () => {
  it('keeps the head and the tail, counts what it dropped, and says so', async () => {
    const result = await session.run('seq 1 100000', { maxOutputBytes: 100 });
    expect(result.truncated).toBe(true);
    const total = Array.from({ length: 100000 }, (_, i) => `${i + 1}\n`).join('').length;
    expect(result.droppedBytes).toBe(total - 100);
    expect(result.stdout.startsWith('1\n2\n3\n')).toBe(true);
    expect(result.stdout.endsWith('99999\n100000\n')).toBe(true);
    expect(result.stdout).toContain(`${total - 100} bytes of output dropped`);
  });

  it('still finds the sentinel after a flood, and the next command is clean', async () => {
    const flood = await session.run('head -c 50000000 /dev/zero', { maxOutputBytes: 1024 });
    expect(flood).toMatchObject({ exitCode: 0, truncated: true, droppedBytes: 50000000 - 1024 });
    expect(await session.run('echo after')).toMatchObject({ stdout: 'after\n', truncated: false, droppedBytes: 0 });
  });
});

describe('shell status and options', () => {
  it('keeps $? of the previous command, as a shell would', async () => {
    await session.run('false');
    expect((await session.run('echo $?')).stdout).toBe('1\n');
  });

  it('checks run() options at the door, naming the option', async () => {
    await expect(session.run('true', { timeoutMs: -1 })).rejects.toThrow(/`timeoutMs` must be a positive number/);
    await expect(session.run('true', { maxOutputBytes: 1.5 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(session.run('true', { timeout: 5 } as never)).rejects.toThrow(/`timeout`.*not an option of run\(\)/);
  });
});

describe('tag (sessions sharing a sandbox)', () => {
  it("tags the commands' programs with the session's tag and the task, and still kills the command's subshells", async () => {
    const tagged = await startLocalSession({ tag: 'a' });
    try {
      expect((await tagged.session.run('echo "$__ds_t"; env | grep ^__ds_t=')).stdout).toMatch(/^a\.\d+\n__ds_t=a\.\d+\n$/);
      // The subshell forks without exec: it carries bash's own environment, the session's tag `a`.
      // It starts well after the command (the kill script counts a process as the command's when it
      // started after the command did, less a 50 ms margin, as the kill channel sees it).
      const result = await tagged.session.run('sleep 0.5; ( sleep 30; echo never ); echo never', { timeoutMs: 1500 });
      expect(result).toMatchObject({ timedOut: true, stdout: '' });
      expect((await tagged.session.run('echo alive')).stdout).toBe('alive\n');
    } finally {
      await tagged.close();
    }
  });

  it.each(['', '1a', 'a-b', 'a b', 7])('refuses the tag %j, which would be written unquoted into every frame', async (tag) => {
    await expect(startLocalSession({ tag: tag as string })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});
