/**
 * Pause meets detach, on the real engine: a paused sandbox can be detached (its frozen shell is
 * handed on as it rests), and connecting to a paused sandbox hands the runner out paused, its calls
 * waiting for resume().
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DockerRunner, listSandboxes, prune } from '../../../src/index.js';
import { readLease } from '../../../src/docker/detach/lease.js';
import { docker } from '../../helpers/docker.js';

const labels = { 'docker-shell-test.detach-paused': 'true' };
afterAll(async () => {
  await prune({ labels, all: true });
});

describe('a paused sandbox', () => {
  it('is detached as it rests, and a process connecting gets it paused: calls wait for resume()', async () => {
    const runner = await DockerRunner.start({ labels });
    await runner.run('cd /tmp; X=frozen');
    await runner.pause();
    const id = await runner.detach({ idleTimeoutMs: 1000 });
    const lease = await readLease(docker, id);
    expect(lease?.state).toBe('detached');
    expect(lease?.expiresAt).toBeUndefined(); // frozen: no idle limit while it cannot run
    expect((await listSandboxes({ labels })).find((sandbox) => sandbox.id === id)).toMatchObject({ holder: 'detached', paused: true });

    const connected = await DockerRunner.connect(id);
    expect(connected.isPaused).toBe(true);
    let answered = false;
    const pending = connected.run('echo "$PWD $X"').then((result) => {
      answered = true;
      return result;
    });
    // The sandbox stays frozen until resume(): nothing in it answers meanwhile.
    expect((await docker.getContainer(id).inspect()).State.Paused).toBe(true);
    expect(answered).toBe(false);
    await connected.resume();
    expect((await pending).stdout).toBe('/tmp frozen\n');
    // Paused again, detached again, taken over again, resumed again: the same session.
    await connected.pause();
    const again = await DockerRunner.connect(await connected.detach());
    await again.resume();
    expect((await again.run('echo "$X"')).stdout).toBe('frozen\n');
    await again.stop();
  });
});
