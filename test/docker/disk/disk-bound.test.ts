/** The watchdog's pace (pure) and the engine's quota refusal (the real engine's answer). */
import { describe, expect, it } from 'vitest';
import { ASSUMED_BYTES_PER_MS, FASTEST_POLL_MS, SLOWEST_POLL_MS, nextPollMs } from '../../../src/docker/disk/layer-watchdog.js';
import { createWithQuota, refusesQuota } from '../../../src/docker/disk/storage-quota.js';
import { BASE_IMAGE } from '../../../src/docker/images.js';
import { docker } from '../../helpers/docker.js';

const MIB = 1024 ** 2;

describe('nextPollMs', () => {
  it.each([
    ['idle, a large bound: the slowest poll', 4096 * MIB, 0, SLOWEST_POLL_MS],
    ['idle, 64 MiB left: half the time the assumed rate needs', 64 * MIB, 0, Math.round((64 * MIB) / ASSUMED_BYTES_PER_MS / 2)],
    ['a writer faster than assumed: paced on it', 64 * MIB, 4 * ASSUMED_BYTES_PER_MS, FASTEST_POLL_MS],
    ['nearly full: the fastest poll', MIB, 0, FASTEST_POLL_MS],
    ['shrinking (files removed): the assumed rate', 512 * MIB, -1000, Math.round((512 * MIB) / ASSUMED_BYTES_PER_MS / 2)],
  ])('%s', (_name, headroom, rate, expected) => {
    expect(nextPollMs(headroom, rate)).toBe(expected);
  });
});

describe('the engine quota', () => {
  it('this engine (overlay2 over ext4) refuses it, and the container is made without it', async () => {
    const spec = { Image: BASE_IMAGE, Cmd: ['true'], HostConfig: { StorageOpt: { size: String(64 * MIB) } } };
    const refusal = await docker.createContainer(spec).then(
      async (container) => {
        await container.remove({ force: true });
        return undefined;
      },
      (error: unknown) => error,
    );
    // On an engine with a quota (overlay2 over xfs with pquota) this case has nothing to show.
    if (refusal === undefined) return;
    expect(refusesQuota(refusal)).toBe(true);
    const { container, hasQuota } = await createWithQuota(docker, { Image: BASE_IMAGE, Cmd: ['true'] }, 64 * MIB);
    try {
      expect(hasQuota).toBe(false);
      expect((await container.inspect()).HostConfig.StorageOpt ?? null).toBeNull();
    } finally {
      await container.remove({ force: true });
    }
  });

  it('other engine errors are not taken for a refused quota', () => {
    expect(refusesQuota({ statusCode: 404, json: { message: 'No such image: x' } })).toBe(false);
    expect(refusesQuota({ statusCode: 400, json: { message: 'invalid mount config' } })).toBe(false);
  });
});
