/**
 * Faults from inside and outside the sandbox: every pending and queued command rejects with a
 * typed error that says what happened, and a fresh runner starts afterwards. Real engine.
 */
import { describe, expect, it } from 'vitest';
import { DockerRunner } from '../../src/docker/docker-runner.js';
import { SessionClosedError } from '../../src/errors.js';
import { docker } from '../helpers/docker.js';

async function shellIsBusyWith(runner: DockerRunner, program: string): Promise<void> {
  await expect.poll(async () => (await docker.getContainer(runner.id as string).top()).Processes.some((p: string[]) => p.at(-1)?.includes(program))).toBe(true);
}

describe('the shell ends from inside', () => {
  it.each([
    { how: 'exit 3', reason: 'shell-exited', exitCode: 3 },
    { how: 'exec sleep 1', reason: 'shell-exited', exitCode: 0 },
    { how: 'kill -9 $$', reason: 'shell-killed', exitCode: 137 },
  ])('`$how`: running and queued commands reject with reason $reason', async ({ how, reason, exitCode }) => {
    await using runner = await DockerRunner.start();
    const running = runner.run(how).catch((e: unknown) => e);
    const queued = runner.run('echo never').catch((e: unknown) => e);
    expect(await running).toMatchObject({ code: 'ERR_SESSION_CLOSED', reason, exitCode });
    expect(await queued).toMatchObject({ code: 'ERR_SESSION_CLOSED', reason });
    await expect(runner.closed).resolves.toMatchObject({ reason });
  });

  it('bash itself exhausting memory: the container is OOM-killed and the error says so', async () => {
    await using runner = await DockerRunner.start({ memory: '128m' });
    const error = await runner.run('a=x; while :; do a=$a$a; done').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionClosedError);
    expect(error).toMatchObject({ reason: 'shell-killed', exitCode: 137 });
    expect((error as Error).message).toMatch(/OOMKilled/);
  });
});

describe('the container ends from outside', () => {
  it('removed (docker rm -f): pending commands reject, and a fresh runner starts', async () => {
    const runner = await DockerRunner.start();
    const running = runner.run('sleep 60').catch((e: unknown) => e);
    const queued = runner.run('echo never').catch((e: unknown) => e);
    await shellIsBusyWith(runner, 'sleep 60');
    await docker.getContainer(runner.id as string).remove({ force: true });
    const error = await running;
    expect(error).toBeInstanceOf(SessionClosedError);
    // Removal kills first: the engine may still describe the kill, or already only the absence.
    expect(['container-gone', 'shell-killed']).toContain((error as SessionClosedError).reason);
    expect(await queued).toBeInstanceOf(SessionClosedError);
    await runner.stop();
    await using fresh = await DockerRunner.start();
    expect((await fresh.run('echo fresh')).stdout).toBe('fresh\n');
  });
});

describe('timeouts through the docker exec channel', () => {
  it('kill the command in the container and keep the session, with its state', async () => {
    await using runner = await DockerRunner.start();
    await runner.run('cd /tmp; KEPT=1; sleep 120 &');
    const result = await runner.run('echo begun; sleep 60; echo never', { timeoutMs: 500 });
    expect(result).toMatchObject({ timedOut: true, exitCode: 137, stdout: 'begun\n' });
    // The background sleep from before is not the command's: it survives.
    const after = await runner.run('echo "$PWD $KEPT"; pgrep -c -f "sleep 120"');
    expect(after.stdout).toBe('/tmp 1\n1\n');
  });

  it('use the runner-level default timeout', async () => {
    await using runner = await DockerRunner.start({ timeoutMs: 300 });
    expect(await runner.run('sleep 60')).toMatchObject({ timedOut: true });
    expect(await runner.run('sleep 60', { timeoutMs: 200 })).toMatchObject({ timedOut: true });
  });

  it('catch a process that daemonized itself out of the shell’s tree', async () => {
    await using runner = await DockerRunner.start();
    // setsid + a double fork: the sleeper's parent is PID 1, not bash, but it carries the task tag.
    const result = await runner.run('setsid bash -c "sleep 90 & disown" ; sleep 60', { timeoutMs: 500 });
    expect(result.timedOut).toBe(true);
    expect((await runner.run('pgrep -c -f "sleep 90" || true')).stdout).toBe('0\n');
  });
});
