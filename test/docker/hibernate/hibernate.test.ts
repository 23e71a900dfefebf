/**
 * hibernate/wake of a gVisor sandbox on the real engine: the runner's bash is checkpointed into
 * the engine's store (the container stops: no memory, no CPU), restored, and a fresh attach with
 * `Session.resume()` finds its cwd, variables, functions and a background job still running.
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
import { Session } from '../../../src/session/session.js';
import { containerExists, containersLabelled, docker, removeContainers } from '../../helpers/docker.js';
import { RUNTIME, TEST_LABEL, canHibernate, inCi, startShell, whyNot } from './gvisor-engine.js';

/** Checkpoints, wakes with a fresh attach and takes the shell over. */
async function hibernateAndWake(container: Dockerode.Container) {
  const before = await hibernateContainer(docker, container);
  const stopped = (await container.inspect()).State;
  const memoryAfter = await memoryUsage(container);
  const saved = await listCheckpoints(container);
  const { attached, durationMs } = await wakeContainer(docker, container, before.checkpointName, attachShell);
  const session = await Session.resume(attached.transport, { tag: RUNNER_SESSION_TAG });
  return { before, stopped, memoryAfter, saved, wakeMs: durationMs, session, socket: attached.socket };
}

describe('hibernate and wake (runsc)', () => {
  it.runIf(inCi || canHibernate)(`the engine can checkpoint gVisor sandboxes${inCi ? ' (required in CI)' : ''}`, () => {
    expect(canHibernate, whyNot).toBe(true);
  });

  afterAll(async () => removeContainers(await containersLabelled(TEST_LABEL)));

  describe.runIf(canHibernate)('a runner’s sandbox', () => {
    it('comes back with its cwd, variables, functions and a running background job (same pid)', async () => {
      await using runner = await DockerRunner.start({ runtime: RUNTIME, labels: { [TEST_LABEL]: 'true' } });
      const container = docker.getContainer(runner.id as string);
      await runner.run('cd /tmp; X=1; export Y=two; f() { echo "f:$1"; }; sleep 1000 & echo $! >/tmp/sleep.pid');
      const sleepPid = (await runner.run('cat /tmp/sleep.pid', { check: true })).stdout.trim();
      expect(sleepPid).toMatch(/^\d+$/);

      const first = await hibernateAndWake(container);
      try {
        expect(first.before.memoryBytesBefore).toBeGreaterThan(1024 * 1024);
        expect(first.before.runtime).toBe(RUNTIME);
        // Stopped: the engine holds no process and counts no memory for it.
        expect(first.stopped).toMatchObject({ Running: false, Status: 'exited' });
        expect(first.memoryAfter).toBeUndefined();
        expect(first.saved).toEqual([first.before.checkpointName]);
        // The runner's own session saw its connection end with the container.
        expect((await runner.closed).reason).not.toBe('stopped');

        const state = await first.session.run('echo "$PWD $X $Y $(f 3)"; jobs -l; kill -0 "$(cat sleep.pid)" && tr "\\0" " " </proc/$(cat sleep.pid)/cmdline');
        expect(state.exitCode).toBe(0);
        expect(state.stdout).toMatch(new RegExp(`^/tmp 1 two f:3\\n\\[1\\]\\+\\s+${sleepPid} Running\\s+sleep 1000 &\\nsleep 1000 $`));
        // The checkpoint is removed once restored.
        expect(await listCheckpoints(container)).toEqual([]);
        await first.session.run('X=2; cd /');
      } finally {
        first.socket.destroy();
      }
      // StdinOnce: true, as before the hibernate: the end of the connection is the end of bash.
      await container.wait({ condition: 'not-running' });
    });

    it('hibernates again once woken, with the connection still open', async () => {
      await using runner = await DockerRunner.start({ runtime: RUNTIME, labels: { [TEST_LABEL]: 'true' } });
      const container = docker.getContainer(runner.id as string);
      await runner.run('N=1; sleep 1000 & S=$!');
      const first = await hibernateAndWake(container);
      await first.session.run('N=$((N + 1))');
      // runsc leaves the state of a restored sandbox behind when it is checkpointed (see
      // runsc-state.ts): without its removal this wake fails with "id already in use".
      const second = await hibernateAndWake(container);
      try {
        expect((await second.session.run('echo $N; kill -0 $S && echo alive')).stdout).toBe('2\nalive\n');
      } finally {
        second.socket.destroy();
      }
    });
  });

  describe.runIf(canHibernate)('StdinOnce', () => {
    it.each([true, false])('StdinOnce: %s — the restored bash reads its new connection, and ends with it only when true', async (stdinOnce) => {
      const { container, session } = await startShell(stdinOnce);
      await session.run('cd /var/tmp; N=1; sleep 1000 & S=$!');
      const woken = await hibernateAndWake(container);
      expect((await woken.session.run('echo "$PWD $N"; kill -0 $S && echo alive')).stdout).toBe('/var/tmp 1\nalive\n');
      await woken.session.run('N=$((N + 1))');
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
        const resumed = await Session.resume(again.transport, { tag: RUNNER_SESSION_TAG });
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
      const { container } = await startShell(true);
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
      const resumed = await Session.resume(attached.transport);
      expect((await resumed.run('echo ok')).stdout).toBe('ok\n');
      attached.socket.destroy();
      await removeContainers([container.id]);
      expect(await containerExists(container.id)).toBe(false);
    });
  });
});
