/**
 * runner.fork() against the real Docker engine: children independent of the parent and of each
 * other, the user's flags and traps carried, the temporary image removed by the last child, and
 * prune() of a fork image left behind.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRunner } from '../../../src/docker/docker-runner.js';
import { LABEL_OWNER } from '../../../src/docker/labels.js';
import { prune } from '../../../src/docker/prune.js';
import { LABEL_SNAPSHOT, SNAPSHOT_LABELS } from '../../../src/docker/snapshots/snapshot.js';
import { InvalidArgumentError } from '../../../src/errors.js';
import { docker, imageExists } from '../../helpers/docker.js';
import { BASE_IMAGE } from '../../../src/docker/images.js';

describe('fork({ count: 2 })', () => {
  let parent: DockerRunner;
  let children: DockerRunner[];

  beforeAll(async () => {
    parent = await DockerRunner.start({ memory: '256m' });
    await parent.run('echo base > shared.txt; BASE=parent; cd /tmp', { check: true });
    children = await parent.fork({ count: 2 });
  });
  afterAll(async () => {
    await Promise.all(children.map((child) => child.stop()));
    await parent.stop();
  });

  it('starts two children in the parent state, each its own container from the parent’s own image (a read-only root: no image is made)', async () => {
    expect(children).toHaveLength(2);
    const [a, b] = children as [DockerRunner, DockerRunner];
    expect(new Set([parent.id, a.id, b.id]).size).toBe(3);
    for (const child of children) expect((await child.run('pwd; echo $BASE; cat ~/shared.txt')).stdout).toBe('/tmp\nparent\nbase\n');
    const [parentInfo, ...infos] = await Promise.all([parent, ...children].map((runner) => docker.getContainer(runner.id as string).inspect()));
    for (const info of infos) expect(info.Image).toBe(parentInfo?.Image);
    // The hardening carried: the parent's memory limit.
    for (const info of infos) expect(info.HostConfig.Memory).toBe(256 * 1024 ** 2);
  });

  it('keeps them independent: nothing one does is seen by the parent or the sibling', async () => {
    const [a, b] = children as [DockerRunner, DockerRunner];
    await a.run('echo a > ~/shared.txt; echo a > /tmp/only-a; BASE=a; export FROM_A=1', { check: true });
    await b.run('echo b > /dev/shm/only-b; BASE=b', { check: true });
    await parent.run('echo p > /tmp/only-parent; BASE=p2', { check: true });
    const look = 'cat ~/shared.txt; ls /tmp/only-* /dev/shm/only-* 2>/dev/null; echo "$BASE ${FROM_A-unset}"';
    expect((await parent.run(look)).stdout).toBe('base\n/tmp/only-parent\np2 unset\n');
    expect((await a.run(look)).stdout).toBe('a\n/tmp/only-a\na 1\n');
    expect((await b.run(look)).stdout).toBe('base\n/dev/shm/only-b\nb unset\n');
  });
});

describe('fork({ count: 2 }) of a sandbox with a writable root', () => {
  it('goes through one temporary image, removed once the last child has stopped, not before', async () => {
    await using parent = await DockerRunner.start({ user: 'root' });
    await parent.run('echo changed > /etc/forked-file', { check: true });
    const [a, b] = (await parent.fork({ count: 2 })) as [DockerRunner, DockerRunner];
    expect((await a.run('cat /etc/forked-file')).stdout).toBe('changed\n');
    const image = (await docker.getContainer(a.id as string).inspect()).Image;
    expect((await docker.getContainer(b.id as string).inspect()).Image).toBe(image);
    expect((await docker.getImage(image).inspect()).Config.Labels?.[SNAPSHOT_LABELS.temporary]).toBe('true');
    await a.stop();
    expect(await imageExists(image)).toBe(true);
    await b.stop();
    expect(await imageExists(image)).toBe(false);
  });
});

describe('fork() and detach()', () => {
  it('lets a child be detached and connected to, and removes the image when that runner stops it', async () => {
    await using parent = await DockerRunner.start({ user: 'root' }); // a writable root: forked through an image
    await parent.run('cd /tmp; V=kept; echo f > file', { check: true });
    const child = await parent.fork();
    const image = (await docker.getContainer(child.id as string).inspect()).Image;
    const connected = await DockerRunner.connect(await child.detach());
    expect((await connected.run('pwd; echo $V; cat file')).stdout).toBe('/tmp\nkept\nf\n');
    expect(await imageExists(image)).toBe(true);
    await connected.stop();
    expect(await imageExists(image)).toBe(false);
  });
});

describe('fork() of a sandbox with shell flags and traps', () => {
  it('carries set -u and the ERR and EXIT traps, in force in the child as in the parent', async () => {
    await using parent = await DockerRunner.start();
    await parent.run("set -u; trap 'echo on-err' ERR; trap 'echo on-exit' EXIT; f() { false; }", { check: true });
    const probe = 'echo $-; trap -p EXIT; false; echo after';
    const inParent = await parent.run(probe);
    expect(inParent.stdout).toMatch(/^[a-zA-Z]*u[a-zA-Z]*\ntrap -- 'echo on-exit' EXIT\non-err\nafter\n$/);
    await using child = await parent.fork();
    expect((await child.run(probe)).stdout).toBe(inParent.stdout);
    const unbound = await child.run('echo $NOT_SET_ANYWHERE');
    expect(unbound.exitCode).not.toBe(0);
    expect(unbound.stderr).toContain('NOT_SET_ANYWHERE: unbound variable');
  });

  it("carries a DEBUG trap, which fires in the child's commands as in the parent's", async () => {
    await using parent = await DockerRunner.start();
    await parent.run("trap 'echo dbg' DEBUG", { check: true });
    const inParent = (await parent.run('true')).stdout;
    expect(inParent).toContain('dbg');
    await using child = await parent.fork();
    expect((await child.run('true')).stdout).toBe(inParent);
  });

  it('refuses bad options where they enter', async () => {
    await using runner = await DockerRunner.start();
    await expect(runner.fork({ count: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(runner.fork({ count: 1.5 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(runner.fork({ copies: 2 } as never)).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe('prune() and fork images left behind', () => {
  it('removes a temporary snapshot image no container uses whose forking process is gone, and keeps one of a live process', async () => {
    const run = { 'fork-test': randomUUID() };
    const dead = spawnSync(process.execPath, ['-e', '']).pid as number;
    const make = async (owner: string): Promise<string> => {
      const container = await docker.createContainer({
        Image: BASE_IMAGE,
        Cmd: ['true'],
        Labels: { ...run, [LABEL_SNAPSHOT]: 'true', [SNAPSHOT_LABELS.temporary]: 'true', [LABEL_OWNER]: owner },
      });
      try {
        return ((await container.commit({ repo: 'docker-shell/snapshot', tag: `fork-test-${randomUUID().slice(0, 8)}` })) as { Id: string }).Id;
      } finally {
        await container.remove({ force: true });
      }
    };
    const leftover = await make(`${hostname()}:${dead}`);
    const live = await make(`${hostname()}:${process.pid}`);
    try {
      const plan = await prune({ labels: run, dryRun: true });
      expect(plan.snapshotImages).toEqual([leftover]);
      expect(await imageExists(leftover)).toBe(true);
      const done = await prune({ labels: run });
      expect(done.snapshotImages).toEqual([leftover]);
      expect(await imageExists(leftover)).toBe(false);
      expect(await imageExists(live)).toBe(true);
    } finally {
      await docker
        .getImage(live)
        .remove()
        .catch(() => {});
    }
  });
});

const runtimes = ((await docker.info()) as { Runtimes?: Record<string, unknown> }).Runtimes ?? {};

describe.runIf(Object.hasOwn(runtimes, 'runsc'))('fork() under gVisor (runtime runsc, where the engine has it)', () => {
  it('forks a runsc sandbox into a runsc sandbox with its files and shell state', async () => {
    await using parent = await DockerRunner.start({ runtime: 'runsc' });
    await parent.run('cd /tmp; echo g > f; X=1', { check: true });
    await using child = await parent.fork();
    expect((await child.run('pwd; cat f; echo $X')).stdout).toBe('/tmp\ng\n1\n');
    expect((await docker.getContainer(child.id as string).inspect()).HostConfig.Runtime).toBe('runsc');
  });
});
