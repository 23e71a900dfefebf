/**
 * runner.hibernate() and the wake by DockerRunner.connect(id), on the real engine under gVisor:
 * the sandbox leaves memory (its container stops), and comes back with its processes running.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DockerRunner, HibernateUnsupportedError, listSandboxes, prune } from '../../../src/index.js';
import { docker } from '../../helpers/docker.js';
import { canHibernate, inCi, whyNot } from './gvisor-engine.js';

const labels = { 'docker-shell-test.runner-hibernate': 'true' };
afterAll(async () => {
  await prune({ labels, all: true });
});

if (inCi && !canHibernate) throw new Error(`CI needs hibernation: ${whyNot}`);

describe.skipIf(!canHibernate)('runner.hibernate()', () => {
  it('checkpoints a runsc sandbox to disk; connect wakes it with its session and a running background process', async () => {
    const runner = await DockerRunner.start({ runtime: 'runsc', labels });
    await runner.run('cd /tmp; X=asleep; sleep 1000 & echo $! > bg');
    const bgPid = (await runner.run('cat bg')).stdout.trim();
    const id = await runner.hibernate();
    expect(await runner.closed).toMatchObject({ reason: 'hibernated' });
    const state = (await docker.getContainer(id).inspect()).State;
    expect(state.Running).toBe(false);
    expect((await listSandboxes({ labels })).find((sandbox) => sandbox.id === id)).toMatchObject({ holder: 'hibernated' });
    expect((await prune({ labels, dryRun: true })).kept.find((kept) => kept.id === id)).toMatchObject({ reason: 'hibernated' });

    const woken = await DockerRunner.connect(id);
    const { stdout } = await woken.run('echo "$PWD $X"; kill -0 "$(cat bg)" && cat bg');
    expect(stdout).toBe(`/tmp asleep\n${bgPid}\n`);
    await woken.stop();
  });

  it('refuses a runc sandbox before handing anything over: the runner goes on', async () => {
    await using runner = await DockerRunner.start({ labels });
    await runner.run('Y=awake');
    await expect(runner.hibernate()).rejects.toBeInstanceOf(HibernateUnsupportedError);
    expect((await runner.run('echo "$Y"')).stdout).toBe('awake\n');
  });
});
