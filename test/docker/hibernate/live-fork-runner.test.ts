/**
 * runner.fork({ live: true }) under gVisor, on the real engine: forks that run on with the parent's
 * processes and memory, independent of it and of each other; the parent goes on as it was.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DockerRunner, prune } from '../../../src/index.js';
import { canHibernate, inCi, whyNot } from './gvisor-engine.js';

const labels = { 'docker-shell-test.live-fork-runner': 'true' };
afterAll(async () => {
  await prune({ labels, all: true });
});

if (inCi && !canHibernate) throw new Error(`CI needs hibernation: ${whyNot}`);

describe.skipIf(!canHibernate)('runner.fork({ live: true })', () => {
  it('starts forks with the parent’s running processes and shell, each on its own; the parent goes on', async () => {
    await using parent = await DockerRunner.start({ runtime: 'runsc', labels });
    let output = '';
    parent.output.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await parent.run('cd /tmp; X=parent; sleep 1000 & echo $! > bg');
    const bg = (await parent.run('cat bg')).stdout.trim();
    const children = (await parent.fork({ live: true, count: 2 })) as DockerRunner[];
    expect(children).toHaveLength(2);
    for (const [i, child] of children.entries()) {
      expect((await child.run('echo "$PWD $X"; kill -0 "$(cat bg)" && cat bg')).stdout).toBe(`/tmp parent\n${bg}\n`);
      await child.run(`X=child${i}; echo ${i} > mine`);
    }
    // Each on its own: a sibling's and the parent's files and variables are their own.
    expect((await children[0]!.run('echo "$X"; cat mine')).stdout).toBe('child0\n0\n');
    expect((await children[1]!.run('echo "$X"; cat mine')).stdout).toBe('child1\n1\n');
    const after = await parent.run('echo "$PWD $X"; test -e mine || echo "no mine"; kill -0 "$(cat bg)" && echo alive');
    expect(after.stdout).toBe('/tmp parent\nno mine\nalive\n');
    expect(children.map((child) => child.id)).not.toContain(parent.id);
    // The parent's output stream went on across its own hibernation.
    await parent.run('echo still streaming');
    expect(output).toContain('still streaming');
    await Promise.all(children.map((child) => child.stop()));
  });

  it('refuses a runc sandbox, which goes on', async () => {
    await using runner = await DockerRunner.start({ labels });
    await expect(runner.fork({ live: true })).rejects.toMatchObject({ code: 'ERR_HIBERNATE_UNSUPPORTED' });
    expect((await runner.run('echo ok')).stdout).toBe('ok\n');
  });
});
