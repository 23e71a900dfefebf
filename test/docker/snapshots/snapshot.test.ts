/**
 * runner.snapshot() and DockerRunner.start({ snapshot }) against the real Docker engine: the shell
 * state and the files of every writable place carried, processes not carried (and reported, and
 * left as they were in the parent), the queue honoured, options carried, listing and removal.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRunner } from '../../../src/docker/docker-runner.js';
import { listSnapshots, removeSnapshot } from '../../../src/docker/snapshots/list-snapshots.js';
import type { Snapshot } from '../../../src/docker/snapshots/snapshot.js';
import { InvalidArgumentError, SandboxBusyError, SnapshotFailedError, SnapshotNotFoundError } from '../../../src/errors.js';
import { docker, imageExists } from '../../helpers/docker.js';

/** This file's own label, so that listing finds only its snapshots. */
const RUN = { 'snapshot-test': randomUUID() };

describe('snapshot of a default (read-only root, unprivileged) sandbox', () => {
  let parent: DockerRunner;
  let child: DockerRunner;
  let snapshot: Snapshot;
  let sleeperPid: number;
  let stoppedPid: number;

  beforeAll(async () => {
    parent = await DockerRunner.start({ memory: '300m', pids: 100, labels: RUN });
    // Shell state of every kind.
    const setup = await parent.run(
      [
        'mkdir -p /tmp/deep/er && cd /tmp/deep/er',
        'export EXPORTED="exported value"',
        "PLAIN=$'two\\nlines'",
        'declare -a ARR=(a "b c" d)',
        'declare -A MAP=([k1]=v1 [k2]="v 2")',
        'declare -i NUM=41+1',
        'readonly FIXED=constant',
        'greet() { echo "hello $1"; }',
        'alias hi="echo alias-expanded"',
        'set -o pipefail; shopt -s extglob nullglob',
        'umask 0027',
        'pushd /var/tmp >/dev/null; pushd /tmp/deep/er >/dev/null',
        "trap 'echo int' INT",
      ].join('\n'),
    );
    expect(setup.exitCode).toBe(0);
    // Files in every writable place, the workdir and /dev/shm included.
    await parent.run(
      [
        'echo workdir > ~/in-workdir.txt && mkdir -p ~/sub/dir && echo nested > ~/sub/dir/file',
        'echo tmp > /tmp/in-tmp.txt && echo vartmp > /var/tmp/in-var-tmp.txt && echo lock > /run/lock/in-lock',
        'echo shm > /dev/shm/in-shm && echo hidden > /tmp/.hidden && printf x > "/tmp/name with spaces"',
        'chmod 0751 ~/sub && ln -s ../in-workdir.txt ~/sub/link',
      ].join(' && '),
      { check: true },
    );
    const sleeper = await parent.spawn('sleep 300');
    sleeperPid = sleeper.pid;
    // Stopped once it runs sleep (not while it is still the forked bash).
    const stopOnceSleeping =
      'sleep 301 >/dev/null 2>&1 & p=$!; until read -r -d "" a </proc/$p/cmdline && [[ $a == sleep ]]; do :; done; kill -STOP $p; echo $p';
    stoppedPid = Number((await parent.run(stopOnceSleeping, { check: true })).stdout.trim());
    snapshot = await parent.snapshot({ labels: RUN });
    child = await DockerRunner.start({ snapshot });
  });

  afterAll(async () => {
    await child?.stop();
    await parent?.stop();
    await snapshot?.remove();
  });

  it('gives the child the parent cwd, variables (exported, plain, arrays, integers, readonly), functions and aliases', async () => {
    const { stdout } = await child.run('pwd; declare -p EXPORTED PLAIN ARR MAP NUM FIXED; greet you; hi');
    expect(stdout).toBe(
      [
        '/tmp/deep/er',
        'declare -x EXPORTED="exported value"',
        "declare -- PLAIN=$'two\\nlines'",
        'declare -a ARR=([0]="a" [1]="b c" [2]="d")',
        'declare -A MAP=([k1]="v1" [k2]="v 2" )',
        'declare -i NUM="42"',
        'declare -r FIXED="constant"',
        'hello you',
        'alias-expanded',
        '',
      ].join('\n'),
    );
    expect((await child.run('echo "${MAP[k1]} ${MAP[k2]}"; env | grep -c ^EXPORTED=; env | grep -c ^PLAIN=')).stdout).toBe('v1 v 2\n1\n0\n');
  });

  it('gives the child the shell options, umask, directory stack and traps', async () => {
    const { stdout } = await child.run('set -o | grep -w pipefail; shopt extglob nullglob; umask; dirs; trap -p INT');
    expect(stdout).toBe("pipefail       \ton\nextglob        \ton\nnullglob       \ton\n0027\n/tmp/deep/er /var/tmp /tmp/deep/er\ntrap -- 'echo int' SIGINT\n");
    // extglob and pipefail are in force, not only listed.
    expect((await child.run('x=abc; echo ${x/+(b)/B}; false | true; echo $?')).stdout).toBe('aBc\n1\n');
  });

  it('puts back the files of every writable place: workdir, /tmp, /var/tmp, /run/lock, /dev/shm', async () => {
    const { stdout } = await child.run(
      'cat ~/in-workdir.txt ~/sub/dir/file /tmp/in-tmp.txt /var/tmp/in-var-tmp.txt /run/lock/in-lock /dev/shm/in-shm /tmp/.hidden "/tmp/name with spaces"; echo; stat -c "%a %U" ~/sub; readlink ~/sub/link; cat ~/sub/link',
      { check: true },
    );
    expect(stdout).toBe('workdir\nnested\ntmp\nvartmp\nlock\nshm\nhidden\nx\n751 nobody\n../in-workdir.txt\nworkdir\n');
    expect(snapshot.places).toEqual(['/tmp', '/var/tmp', '/run/lock', '/home/sandbox', '/dev/shm']);
  });

  it('does not carry background processes, and reports those that were running', async () => {
    expect(snapshot.processes.map((p) => p.command)).toEqual(expect.arrayContaining(['sleep 300', 'sleep 301']));
    expect(snapshot.processes.find((p) => p.command === 'sleep 300')?.pid).toBe(sleeperPid);
    expect((await child.run('ps -eo args= | grep -c "^sleep" || true')).stdout).toBe('0\n');
  });

  it("leaves the parent's processes as they were: the running one runs again, the one stopped before stays stopped", async () => {
    const state = async (pid: number) => (await parent.run(`read -r s < /proc/${pid}/stat; s=\${s##*) }; echo \${s%% *}`)).stdout.trim();
    expect(await state(sleeperPid)).toBe('S');
    expect(await state(stoppedPid)).toBe('T');
  });

  it("starts the child with the parent's options (memory, pids, user, network none, read-only root, labels)", async () => {
    const info = await docker.getContainer(child.id as string).inspect();
    expect(info.HostConfig.Memory).toBe(300 * 1024 ** 2);
    expect(info.HostConfig.PidsLimit).toBe(100);
    expect(info.HostConfig.NetworkMode).toBe('none');
    expect(info.HostConfig.ReadonlyRootfs).toBe(true);
    expect(info.HostConfig.CapDrop).toEqual(['ALL']);
    expect(info.Config.User).toBe('65534:65534');
    expect(info.Config.Labels['snapshot-test']).toBe(RUN['snapshot-test']);
    expect((await child.run('id -u')).stdout).toBe('65534\n');
  });

  it('lets options given to start() override the carried ones', async () => {
    await using other = await DockerRunner.start({ snapshot: snapshot.id, memory: '400m' });
    const info = await docker.getContainer(other.id as string).inspect();
    expect(info.HostConfig.Memory).toBe(400 * 1024 ** 2);
    expect(info.HostConfig.PidsLimit).toBe(100);
    expect((await other.run('pwd; echo $EXPORTED')).stdout).toBe('/tmp/deep/er\nexported value\n');
  });

  it('keeps the children apart from the parent: what the child changes, the parent does not see', async () => {
    await child.run('echo child > /tmp/in-tmp.txt; EXPORTED=changed; cd /');
    expect((await parent.run('cat /tmp/in-tmp.txt; echo $EXPORTED; pwd')).stdout).toBe('tmp\nexported value\n/tmp/deep/er\n');
  });
});

describe('snapshot of a root sandbox with a writable root', () => {
  it('carries the files changed in the image (the layer) and in /dev/shm', async () => {
    await using parent = await DockerRunner.start({ user: 'root', readOnly: false });
    await parent.run('echo changed > /etc/docker-shell-test && echo tool > /usr/local/bin/tool && echo shm > /dev/shm/s && cd /opt', { check: true });
    const snapshot = await parent.snapshot();
    try {
      expect(snapshot.places).toEqual(['/dev/shm']);
      await using child = await DockerRunner.start({ snapshot });
      expect((await child.run('cat /etc/docker-shell-test /usr/local/bin/tool /dev/shm/s; pwd; id -u')).stdout).toBe('changed\ntool\nshm\n/opt\n0\n');
      const info = await docker.getContainer(child.id as string).inspect();
      expect(info.HostConfig.ReadonlyRootfs).toBe(false);
    } finally {
      await snapshot.remove();
    }
    expect(await imageExists(snapshot.id)).toBe(false);
  });
});

describe("snapshot in the session's queue", () => {
  let runner: DockerRunner;
  beforeAll(async () => {
    runner = await DockerRunner.start();
  });
  afterAll(async () => {
    await runner.stop();
  });

  it('waits for the command running and those queued before it', async () => {
    const first = runner.run('sleep 0.5; echo first > /tmp/first');
    const second = runner.run('echo second > /tmp/second; SECOND=yes');
    const snapshot = await runner.snapshot();
    try {
      expect((await first).exitCode).toBe(0);
      expect((await second).exitCode).toBe(0);
      await using child = await DockerRunner.start({ snapshot });
      expect((await child.run('cat /tmp/first /tmp/second; echo $SECOND')).stdout).toBe('first\nsecond\nyes\n');
    } finally {
      await snapshot.remove();
    }
  });

  it('with wait: false, refuses at once with SandboxBusyError while a command runs, and takes nothing', async () => {
    const before = (await listSnapshots()).length;
    const running = runner.run('sleep 1');
    const error = await runner.snapshot({ wait: false }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SandboxBusyError);
    expect(error).toMatchObject({ code: 'ERR_SANDBOX_BUSY', operation: 'snapshot', pendingCount: 1 });
    expect((await running).exitCode).toBe(0);
    expect((await listSnapshots()).length).toBe(before);
  });

  it('with wait: false on an idle session, takes the snapshot', async () => {
    const snapshot = await runner.snapshot({ wait: false });
    expect(await imageExists(snapshot.id)).toBe(true);
    await snapshot.remove();
  });

  it('fails with SnapshotFailedError on a file its user cannot read, keeps nothing, and lets the sandbox run on', async () => {
    await runner.run('echo secret > /tmp/unreadable && chmod 000 /tmp/unreadable', { check: true });
    const sleeper = await runner.spawn('sleep 300');
    const before = (await listSnapshots()).length;
    const error = await runner.snapshot().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SnapshotFailedError);
    expect((error as SnapshotFailedError).detail).toContain('tmp/unreadable');
    expect((await listSnapshots()).length).toBe(before);
    const state = await runner.run(`read -r s < /proc/${sleeper.pid}/stat; s=\${s##*) }; echo \${s%% *}`);
    expect(state.stdout).toBe('S\n');
    await sleeper.kill();
    await runner.run('rm -f /tmp/unreadable', { check: true });
  });

  it('refuses bad options where they enter', async () => {
    await expect(runner.snapshot({ name: 'no spaces allowed' })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(runner.snapshot({ wait: 'no' as unknown as boolean })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(runner.snapshot({ tag: 'x' } as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(() => new DockerRunner({ snapshot: 5 as unknown as string })).toThrow(InvalidArgumentError);
    expect(() => new DockerRunner({ snapshot: 'x', image: 'debian' })).toThrow(InvalidArgumentError);
  });
});

describe('listSnapshots(), names and remove()', () => {
  it('lists a named snapshot by its labels, starts from its name, and forgets it once removed', async () => {
    const name = `test-${randomUUID().slice(0, 8)}`;
    const labels = { ...RUN, purpose: 'listing' };
    await using runner = await DockerRunner.start();
    await runner.run('NOTE=from-name');
    const snapshot = await runner.snapshot({ name, labels });
    expect(snapshot.ref).toBe(`docker-shell/snapshot:${name}`);
    const listed = await listSnapshots({ labels });
    expect(listed.map((s) => s.id)).toEqual([snapshot.id]);
    expect(listed[0]).toMatchObject({ name, ref: `docker-shell/snapshot:${name}`, labels, isTemporary: false, processes: [] });
    expect(Math.abs((listed[0]?.createdAt.getTime() ?? 0) - snapshot.createdAt.getTime())).toBeLessThan(1000);

    await using child = await DockerRunner.start({ snapshot: name });
    expect((await child.run('echo $NOTE')).stdout).toBe('from-name\n');
    await child.stop();

    await removeSnapshot(name);
    expect(await listSnapshots({ labels })).toEqual([]);
    expect(await imageExists(snapshot.id)).toBe(false);
    await expect(snapshot.remove()).resolves.toBeUndefined();
  });

  it('says SnapshotNotFoundError for an unknown name, and for an image that is not a snapshot', async () => {
    await expect(removeSnapshot(`missing-${randomUUID().slice(0, 8)}`)).rejects.toBeInstanceOf(SnapshotNotFoundError);
    await expect(DockerRunner.start({ snapshot: 'docker-shell/base:bookworm' })).rejects.toBeInstanceOf(SnapshotNotFoundError);
  });
});
