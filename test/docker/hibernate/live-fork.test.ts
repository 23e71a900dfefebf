/**
 * Live fork of a gVisor sandbox on the real engine: a checkpoint of one sandbox restored into a new
 * container (its directory copied into the new container's store), running on with a copy of the
 * shell, its files and its processes; nothing one does is seen by the other.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DockerRunner } from '../../../src/docker/docker-runner.js';
import { hibernateContainer } from '../../../src/docker/hibernate/hibernate-container.js';
import { liveForkContainer } from '../../../src/docker/hibernate/live-fork.js';
import { listCheckpoints } from '../../../src/docker/hibernate/checkpoint-engine.js';
import { wakeContainer } from '../../../src/docker/hibernate/wake-container.js';
import { RUNNER_SESSION_TAG } from '../../../src/docker/session-control.js';
import { Session } from '../../../src/session/session.js';
import { containersLabelled, docker, removeContainers } from '../../helpers/docker.js';
import { RUNTIME, TEST_LABEL, canHibernate } from './gvisor-engine.js';

const FORK_LABEL = 'dev.docker-shell.test-fork';

describe.runIf(canHibernate)('live fork (runsc)', () => {
  afterAll(async () => removeContainers(await containersLabelled(TEST_LABEL)));

  it('restores one checkpoint into new containers (copied here and by a helper container), each on its own', async () => {
    await using runner = await DockerRunner.start({ runtime: RUNTIME, labels: { [TEST_LABEL]: 'true' } });
    const parent = docker.getContainer(runner.id as string);
    await runner.run('cd /tmp; V=parent; echo data >f; sleep 1000 & S=$!');
    const sleepPid = (await runner.run('echo $S')).stdout.trim();
    // What a hand-over would say (the runner's session is left in its loop as the checkpoint stops it).
    const handOver = { shellPid: Number((await runner.run('echo $$')).stdout), tasks: 100 };
    const { checkpointName } = await hibernateContainer(docker, parent);

    const forks = [];
    for (const forceHelper of [false, true]) {
      const fork = await liveForkContainer(docker, parent, checkpointName, { labels: { [FORK_LABEL]: String(forceHelper) }, forceHelper });
      expect(fork).toMatchObject({ committed: false, copiedBy: forceHelper ? 'helper' : 'local' });
      expect(fork.container.id).not.toBe(parent.id);
      const info = await fork.container.inspect();
      expect(info.Config.Labels).toMatchObject({ [FORK_LABEL]: String(forceHelper), [TEST_LABEL]: 'true' });
      expect(info.HostConfig).toMatchObject({ Runtime: RUNTIME, ReadonlyRootfs: true });
      const session = await Session.resume(fork.attached.transport, handOver, { tag: RUNNER_SESSION_TAG });
      // The parent's shell, files and background process, carried into the fork.
      expect((await session.run('echo "$PWD $V $S $(cat f)"; kill -0 $S && echo alive')).stdout).toBe(`/tmp parent ${sleepPid} data\nalive\n`);
      await session.run(`V=child${forks.length}; echo child >f; touch only-child; kill $S`);
      forks.push({ ...fork, session });
    }
    // The forks took copies: the parent's checkpoint is still in its store, and the parent wakes from it.
    expect(await listCheckpoints(parent)).toEqual([checkpointName]);
    const { attached } = await wakeContainer(docker, parent, checkpointName);
    const woken = await Session.resume(attached.transport, handOver, { tag: RUNNER_SESSION_TAG });
    expect((await woken.run('echo "$V $(cat f)"; ls; kill -0 $S && echo alive')).stdout).toBe('parent data\nf\nalive\n');
    // And the forks did not see each other.
    expect((await forks[0]!.session.run('echo "$V $(cat f)"; ls')).stdout).toBe('child0 child\nf\nonly-child\n');
    attached.socket.destroy();
    for (const fork of forks) fork.attached.socket.destroy();
    await removeContainers(forks.map((fork) => fork.container.id));
  });

  it('carries a writable root by committing it first', async () => {
    await using runner = await DockerRunner.start({ runtime: RUNTIME, readOnly: false, labels: { [TEST_LABEL]: 'true' } });
    const parent = docker.getContainer(runner.id as string);
    // /tmp is the container's own layer here (no tmpfs on a writable root).
    await runner.run('echo layer >/tmp/in-layer; exec 3</tmp/in-layer; W=1');
    const handOver = { shellPid: Number((await runner.run('echo $$')).stdout), tasks: 100 };
    const { checkpointName } = await hibernateContainer(docker, parent);
    const fork = await liveForkContainer(docker, parent, checkpointName);
    try {
      expect(fork.committed).toBe(true);
      const session = await Session.resume(fork.attached.transport, handOver, { tag: RUNNER_SESSION_TAG });
      expect((await session.run('echo $W; cat /tmp/in-layer; cat <&3')).stdout).toBe('1\nlayer\nlayer\n');
    } finally {
      fork.attached.socket.destroy();
      await removeContainers([fork.container.id]);
      await docker.getImage(fork.image).remove({ force: true });
    }
  });
});
