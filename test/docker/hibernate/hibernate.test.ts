/**
 * hibernate/wake of a gVisor sandbox on the real engine: the runner's bash is checkpointed into
 * the engine's store (the container stops: no memory, no CPU), restored, and a fresh attach with
 * `Session.resume()` (as after a hand-over) finds its cwd, variables, functions and a background job still running.
 */
import type Dockerode from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { DockerRunner } from '../../../src/docker/docker-runner.js';
import { attachShell } from '../../../src/docker/attach-transport.js';
import { hibernateContainer, memoryUsage } from '../../../src/docker/hibernate/hibernate-container.js';
import { wakeContainer } from '../../../src/docker/hibernate/wake-container.js';
import { listCheckpoints } from '../../../src/docker/hibernate/checkpoint-engine.js';
import { RUNNER_SESSION_TAG } from '../../../src/docker/session-control.js';
import { CheckpointFailedError, HibernateUnsupportedError } from '../../../src/errors.js';
import { Session, type HandOver } from '../../../src/session/session.js';
import { containerExists, containersLabelled, docker, removeContainers } from '../../helpers/docker.js';
import { RUNTIME, TEST_LABEL, canHibernate, inCi, startShell, whyNot } from './gvisor-engine.js';

/** Checkpoints, wakes with a fresh attach and takes the shell over. */
async function hibernateAndWake(container: Dockerode.Container, handOver: HandOver) {
  const before = await hibernateContainer(docker, container);
  const stopped = (await container.inspect()).State;
  const memoryAfter = await memoryUsage(container);
  const saved = await listCheckpoints(container);
  const { attached, durationMs } = await wakeContainer(docker, container, before.checkpointName, attachShell);
  const session = await Session.resume(attached.transport, handOver, { tag: RUNNER_SESSION_TAG });
  return { before, stopped, memoryAfter, saved, wakeMs: durationMs, session, socket: attached.socket };
}

describe('hibernate and wake (runsc)', () => {
  it.runIf(inCi || canHibernate)(`the engine can checkpoint gVisor sandboxes${inCi ? ' (required in CI)' : ''}`, () => {
    expect(canHibernate, whyNot).toBe(true);
  });

  afterAll(async () => removeContainers(await containersLabelled(TEST_LABEL)));

  describe.runIf(canHibernate)('a runner’s sandbox', () => {
    it('detached, hibernated, woken and connected to: its cwd, variables, functions and background job (same pid), twice', async () => {
      const runner = await DockerRunner.start({ runtime: RUNTIME, labels: { [TEST_LABEL]: 'true' } });
      const container = docker.getContainer(runner.id as string);
      await runner.run('cd /tmp; X=1; export Y=two; f() { echo "f:$1"; }; sleep 1000 & echo $! >/tmp/sleep.pid');
      const sleepPid = (await runner.run('cat /tmp/sleep.pid', { check: true })).stdout.trim();
      expect(sleepPid).toMatch(/^\d+$/);
      const id = await runner.detach({ idleTimeoutMs: 600_000 });

      const slept = await hibernateContainer(docker, container);
      expect(slept.memoryBytesBefore).toBeGreaterThan(1024 * 1024);
      expect(slept.runtime).toBe(RUNTIME);
      // Stopped: the engine holds no process and counts no memory for it.
      expect((await container.inspect()).State).toMatchObject({ Running: false, Status: 'exited' });
      expect(await memoryUsage(container)).toBeUndefined();
      expect(await listCheckpoints(container)).toEqual([slept.checkpointName]);

      // Woken under a connection of its own, which lets go (bash's input stays open: StdinOnce false),
      // then taken over as any detached sandbox is.
      const { attached } = await wakeContainer(docker, container, slept.checkpointName);
      attached.socket.destroy();
      await using connected = await DockerRunner.connect(id);
      const state = await connected.run('echo "$PWD $X $Y $(f 3)"; jobs -l; kill -0 "$(cat sleep.pid)" && tr "\\0" " " </proc/$(cat sleep.pid)/cmdline');
      expect(state.exitCode).toBe(0);
      expect(state.stdout).toMatch(new RegExp(`^/tmp 1 two f:3\\n\\[1\\]\\+\\s+${sleepPid} Running\\s+sleep 1000 &\\nsleep 1000 $`));
      // The checkpoint is removed once restored.
      expect(await listCheckpoints(container)).toEqual([]);

      // Once more: runsc leaves the state of a restored sandbox behind when it is checkpointed (see
      // runsc-state.ts); without its removal this wake fails with "id already in use".
      await connected.run('X=2');
      await connected.detach({ idleTimeoutMs: 600_000 });
      const again = await hibernateContainer(docker, container);
      (await wakeContainer(docker, container, again.checkpointName)).attached.socket.destroy();
      await using reconnected = await DockerRunner.connect(id);
      expect((await reconnected.run('echo "$PWD $X"; kill -0 "$(cat sleep.pid)" && echo alive')).stdout).toBe('/tmp 2\nalive\n');
    });
  });

  describe.runIf(canHibernate)('StdinOnce', () => {
    it.each([true, false])('StdinOnce: %s — the restored bash reads its new connection, and ends with it only when true', async (stdinOnce) => {
      const { container, session } = await startShell(stdinOnce);
      await session.run('cd /var/tmp; N=1; sleep 1000 & S=$!');
      const woken = await hibernateAndWake(container, await session.handOver(null));
      expect((await woken.session.run('echo "$PWD $N"; kill -0 $S && echo alive')).stdout).toBe('/var/tmp 1\nalive\n');
      await woken.session.run('N=$((N + 1))');
      const handOver = await woken.session.handOver(null);
      woken.socket.destroy();
      await woken.session.closed;
      if (stdinOnce) {
        // The engine closes bash's input with the connection, as before the hibernate: bash exits.
        await container.wait({ condition: 'not-running' });
        expect((await container.inspect()).State).toMatchObject({ Running: false, ExitCode: 0 });
      } else {
        // bash waits on its input: a new connection takes the session over again.
        expect((await container.inspect()).State.Running).toBe(true);
        const again = await attachShell(container);
        const resumed = await Session.resume(again.transport, handOver, { tag: RUNNER_SESSION_TAG });
        expect((await resumed.run('echo $N; kill -0 $S && echo alive')).stdout).toBe('2\nalive\n');
        again.socket.destroy();
      }
      await removeContainers([container.id]);
    });
  });

  describe.runIf(canHibernate)('refusals', () => {
    it('refuses a runc sandbox, which goes on running', async () => {
      await using runner = await DockerRunner.start({ labels: { [TEST_LABEL]: 'true' } });
      const container = docker.getContainer(runner.id as string);
      const error = await hibernateContainer(docker, container).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HibernateUnsupportedError);
      expect(error).toMatchObject({ code: 'ERR_HIBERNATE_UNSUPPORTED', reason: 'runtime', runtime: 'runc', containerId: container.id });
      expect((error as Error).message).toMatch(/CRIU.*runtime: 'runsc'/s);
      expect((await runner.run('echo still here')).stdout).toBe('still here\n');
    });

    it('says what the engine said: a stopped sandbox, an unknown checkpoint', async () => {
      const { container, session } = await startShell(true);
      const handOver = await session.handOver(null);
      const { checkpointName } = await hibernateContainer(docker, container, { name: 'nap-1' });
      expect(checkpointName).toBe('nap-1');
      const again = await hibernateContainer(docker, container).catch((e: unknown) => e);
      expect(again).toBeInstanceOf(CheckpointFailedError);
      expect(again).toMatchObject({ operation: 'checkpoint', engineMessage: 'the container is exited, not running' });
      const wrong = await wakeContainer(docker, container, 'no-such-nap').catch((e: unknown) => e);
      expect(wrong).toBeInstanceOf(CheckpointFailedError);
      expect(wrong).toMatchObject({ operation: 'restore', checkpointName: 'no-such-nap' });
      expect((wrong as CheckpointFailedError).engineMessage).toMatch(/no-such-nap/);
      // The right one still works after a failed restore.
      const { attached } = await wakeContainer(docker, container, 'nap-1');
      const resumed = await Session.resume(attached.transport, handOver);
      expect((await resumed.run('echo ok')).stdout).toBe('ok\n');
      attached.socket.destroy();
      await removeContainers([container.id]);
      expect(await containerExists(container.id)).toBe(false);
    });
  });
});
