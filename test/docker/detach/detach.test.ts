/**
 * Detach and connect across processes, on the real engine: a fixture process (test/fixtures/
 * detach-owner.ts) detaches or holds a sandbox, this process connects. Also idle expiry with no
 * host process alive, lifetimes, listSandboxes() and prune() around detached sandboxes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DockerRunner, SandboxHeldError, SandboxNotFoundError, SessionClosedError, listSandboxes, prune } from '../../../src/index.js';
import { readLease, removeLeases } from '../../../src/docker/detach/lease.js';
import { containerExists, createLabelledContainer, docker, removeContainers } from '../../helpers/docker.js';
import { isRunning } from '../../helpers/processes.js';

const LABEL = 'docker-shell-test.detach';
const labels = { [LABEL]: 'true' };
const ENGINE_WAIT = { timeout: 30_000, interval: 100 };

const children: ChildProcess[] = [];
const containers = new Set<string>();

afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(-child.pid, 'SIGKILL');
  }
});
afterAll(async () => {
  await removeContainers(containers);
  await Promise.all([...containers].map((id) => removeLeases(docker, id)));
  await prune({ labels, all: true });
});

interface Fixture {
  child: ChildProcess;
  exited: Promise<unknown>;
  owner: string;
  reaper: number;
  container: string;
}

async function fixture(mode: 'detach' | 'hold' | 'connect', arg = ''): Promise<Fixture> {
  const child = spawn('node_modules/.bin/tsx', ['test/fixtures/detach-owner.ts', mode, arg, LABEL], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const exited = once(child, 'close');
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const line = await Promise.race([
    once(createInterface({ input: child.stdout! }), 'line').then(([text]) => text as string),
    exited.then(() => {
      throw new Error(`the fixture exited before it was ready: ${stderr}`);
    }),
  ]);
  const printed = JSON.parse(line) as Omit<Fixture, 'child' | 'exited'>;
  containers.add(printed.container);
  return { child, exited, ...printed };
}

/** The fixture process has exited, and its reaper has done whatever it does after that. */
async function goneWithReaper(fixtureProcess: Fixture): Promise<void> {
  await fixtureProcess.exited;
  await expect.poll(() => isRunning(fixtureProcess.reaper), ENGINE_WAIT).toBe(false);
}

describe('a sandbox detached by a process that has exited', () => {
  it('is left alone by that process’s reaper, listed as detached, and connect resumes its very session', async () => {
    const detacher = await fixture('detach', String(10 * 60_000));
    await goneWithReaper(detacher);
    expect(await containerExists(detacher.container)).toBe(true);
    const [listed] = (await listSandboxes({ labels })).filter((sandbox) => sandbox.id === detacher.container);
    expect(listed).toMatchObject({ holder: 'detached', owner: undefined, paused: false, state: 'running' });
    expect(listed?.expiresAt?.getTime()).toBeGreaterThan(Date.now());

    const runner = await DockerRunner.connect(detacher.container);
    const { stdout } = await runner.run('pwd; echo "$X"; greet you; cat file; kill -0 "$(cat bg)" && echo "background sleep alive"');
    expect(stdout).toBe('/tmp\nset before detach\nhello you\nkept\nbackground sleep alive\n');
    expect((await listSandboxes({ labels })).find((sandbox) => sandbox.id === detacher.container)).toMatchObject({ holder: 'owned', ownerPid: process.pid });
    // Like any other runner: files, spawn, and detach again.
    expect((await runner.getFile('/tmp/file')).toString()).toBe('kept\n');
    const spawned = await runner.spawn('echo spawned');
    expect(await spawned.wait()).toMatchObject({ exitCode: 0, stdout: 'spawned\n' });
    const again = await runner.detach();
    expect(again).toBe(detacher.container);
    const third = await DockerRunner.connect(again);
    expect((await third.run('echo "$X"')).stdout).toBe('set before detach\n');
    await third.stop();
    expect(await containerExists(detacher.container)).toBe(false);
    expect(await readLease(docker, detacher.container)).toBeUndefined();
  });

  it('can be taken by only one of two processes connecting at once', async () => {
    const detacher = await fixture('detach', String(10 * 60_000));
    await detacher.exited;
    const attempts = await Promise.allSettled([DockerRunner.connect(detacher.container), DockerRunner.connect(detacher.container)]);
    const won = attempts.filter((attempt) => attempt.status === 'fulfilled');
    const lost = attempts.filter((attempt) => attempt.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(SandboxHeldError);
    const runner = (won[0] as PromiseFulfilledResult<DockerRunner>).value;
    expect((await runner.run('echo "$X"')).stdout).toBe('set before detach\n');
    await runner.stop();
  });

  it('held by the process that connected to it, is removed by that process’s reaper when it dies', async () => {
    const detacher = await fixture('detach', String(10 * 60_000));
    await detacher.exited;
    const connector = await fixture('connect', detacher.container);
    await expect(DockerRunner.connect(detacher.container)).rejects.toMatchObject({ code: 'ERR_SANDBOX_HELD', owner: connector.owner });
    process.kill(-(connector.child.pid as number), 'SIGKILL');
    await expect.poll(() => containerExists(detacher.container), ENGINE_WAIT).toBe(false);
    await expect.poll(() => readLease(docker, detacher.container), ENGINE_WAIT).toBeUndefined();
  });
});

describe('idle expiry, inside the sandbox', () => {
  it('ends a detached sandbox that gets no command in time, with no host process alive; prune removes what is left', async () => {
    const detacher = await fixture('detach', '1000');
    await detacher.exited;
    // No process of ours is attached or alive for it: the container exits by itself.
    const { StatusCode } = (await docker.getContainer(detacher.container).wait()) as { StatusCode: number };
    expect(StatusCode).toBe(0);
    await expect(DockerRunner.connect(detacher.container)).rejects.toMatchObject({ code: 'ERR_SANDBOX_NOT_FOUND', reason: 'ended' });
    expect((await listSandboxes({ labels })).find((sandbox) => sandbox.id === detacher.container)).toMatchObject({ holder: 'ended', state: 'exited' });
    const result = await prune({ labels });
    expect(result.leftovers.find((leftover) => leftover.id === detacher.container)).toMatchObject({ reason: 'expired' });
    expect(await containerExists(detacher.container)).toBe(false);
  });

  it('prune keeps a detached sandbox that has not expired, and says until when', async () => {
    const runner = await DockerRunner.start({ labels });
    const id = await runner.detach({ idleTimeoutMs: 5 * 60_000 });
    containers.add(id);
    const kept = (await prune({ labels, dryRun: true })).kept.find((container) => container.id === id);
    expect(kept).toMatchObject({ reason: 'detached' });
    expect(kept?.expiresAt).toBeGreaterThan(Date.now() + 4 * 60_000);
  });
});

describe('lifetimeMs', () => {
  it('stops an owned runner when it is up (reason expired), and removes the sandbox', async () => {
    const runner = await DockerRunner.start({ labels, lifetimeMs: 1500 });
    const id = runner.id as string;
    expect(await runner.closed).toMatchObject({ reason: 'expired' });
    await expect(runner.run('true')).rejects.toMatchObject({ reason: 'expired' });
    await expect.poll(() => containerExists(id), ENGINE_WAIT).toBe(false);
  });

  it('bounds a detached sandbox too, whatever its idle timeout', async () => {
    const runner = await DockerRunner.start({ labels, lifetimeMs: 2000 });
    const id = await runner.detach({ idleTimeoutMs: 10 * 60_000 });
    containers.add(id);
    await docker.getContainer(id).wait();
    await expect(DockerRunner.connect(id)).rejects.toBeInstanceOf(SandboxNotFoundError);
  });
});

describe('refusals', () => {
  it('an unknown id, and a container docker-shell did not make, are SandboxNotFoundError', async () => {
    await expect(DockerRunner.connect('no-such-container-anywhere')).rejects.toMatchObject({ code: 'ERR_SANDBOX_NOT_FOUND', reason: 'unknown' });
    const foreign = (await docker.createContainer({ Image: 'docker-shell/base:bookworm', Cmd: ['true'] })).id;
    containers.add(foreign);
    await expect(DockerRunner.connect(foreign)).rejects.toMatchObject({ code: 'ERR_SANDBOX_NOT_FOUND', reason: 'not-docker-shell' });
  });

  it('a sandbox its creator still holds is SandboxHeldError naming that process', async () => {
    const holder = await fixture('hold');
    const error = await DockerRunner.connect(holder.container).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SandboxHeldError);
    expect(error).toMatchObject({ owner: holder.owner });
  });

  it('a sandbox whose owner died without detaching is not resumable', async () => {
    const id = await createLabelledContainer({
      'dev.docker-shell.managed': 'true',
      'dev.docker-shell.owner': `${(await import('node:os')).hostname()}:999999999`,
      ...labels,
    });
    containers.add(id);
    await expect(DockerRunner.connect(id)).rejects.toMatchObject({ code: 'ERR_SANDBOX_NOT_FOUND', reason: 'ended' });
  });

  it('after detach, the runner is done: calls reject (reason detached) and stop() leaves the sandbox', async () => {
    const runner = await DockerRunner.start({ labels });
    const id = await runner.detach();
    containers.add(id);
    expect(await runner.closed).toMatchObject({ reason: 'detached' });
    const error = await runner.run('true').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SessionClosedError);
    expect(error).toMatchObject({ reason: 'detached' });
    await runner.stop();
    expect(await containerExists(id)).toBe(true);
    await (await DockerRunner.connect(id)).stop();
  });
});
