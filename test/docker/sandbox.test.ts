/**
 * The hardened defaults as the engine applies them and as a command inside sees them, and how each
 * is loosened. Every test here runs on the real engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRunner } from '../../src/docker/docker-runner.js';
import { APT_CAPABILITIES, resolveSandbox } from '../../src/docker/sandbox-options.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { docker } from '../helpers/docker.js';

describe('defaults', () => {
  let runner: DockerRunner;
  beforeAll(async () => {
    runner = await DockerRunner.start();
  });
  afterAll(async () => {
    await runner.stop();
  });

  it('configures the container hardened', async () => {
    const { HostConfig: host, Config: config } = await docker.getContainer(runner.id as string).inspect();
    expect(host).toMatchObject({
      NetworkMode: 'none',
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges:true'],
      Memory: 1024 ** 3,
      MemorySwap: 1024 ** 3,
      NanoCpus: 1e9,
      PidsLimit: 256,
      ReadonlyRootfs: true,
      ShmSize: 64 * 1024 ** 2,
      Init: true,
      LogConfig: { Type: 'none' },
    });
    const place = `rw,exec,nosuid,nodev,size=${512 * 1024 ** 2}`;
    expect(host.Tmpfs).toEqual({
      '/tmp': `${place},mode=1777`,
      '/var/tmp': `${place},mode=1777`,
      '/run/lock': `${place},mode=1777`,
      '/home/sandbox': `${place},mode=0755,uid=65534,gid=65534`,
    });
    expect(host.Ulimits).toEqual([{ Name: 'nofile', Soft: 1024, Hard: 1024 }]);
    expect(host.Binds ?? []).toEqual([]);
    expect(host.Mounts ?? []).toEqual([]);
    expect(config.User).toBe('65534:65534');
  });

  it('runs as nobody with no capabilities, no-new-privileges and seccomp, in a writable home', async () => {
    const { stdout } = await runner.run(
      'id -u; id -g; pwd; echo "$HOME"; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status | tr -s "\\t " " "; touch probe && echo writable; ulimit -n',
    );
    expect(stdout).toBe('65534\n65534\n/home/sandbox\n/home/sandbox\nCapEff: 0000000000000000\nNoNewPrivs: 1\nSeccomp: 2\nwritable\n1024\n');
  });

  it('has no network but loopback', async () => {
    const { stdout } = await runner.run('ls /sys/class/net; (echo > /dev/tcp/127.0.0.2/9) 2>/dev/null || echo refused');
    expect(stdout).toBe('lo\nrefused\n');
  });

  it('cannot write outside its home and the tmp directories, nor become root', async () => {
    const result = await runner.run('touch /etc/x 2>&1; touch /tmp/ok && echo tmp-ok; su -c id root </dev/null 2>&1 | head -1; id -u');
    expect(result.stdout).toMatch(/^touch: cannot touch '\/etc\/x': Read-only file system\ntmp-ok\n.+\n65534\n$/);
  });

  it('can write nowhere on the root but the tmpfs places, 512 MiB each', async () => {
    const { stdout } = await runner.run(
      'find / -xdev -writable 2>/dev/null | sort; df -k --output=target,size /tmp /var/tmp /run/lock ~ /dev/shm | tail -n +2',
    );
    expect(
      stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => line.trim().split(/\s+/).join(' ')),
    ).toEqual([
      '/home/sandbox',
      '/run/lock',
      '/tmp',
      '/var/lock', // Debian's link to /run/lock
      '/var/tmp',
      `/tmp ${512 * 1024}`,
      `/var/tmp ${512 * 1024}`,
      `/run/lock ${512 * 1024}`,
      `/home/sandbox ${512 * 1024}`,
      `/dev/shm ${64 * 1024}`,
    ]);
    // Programs written there run (Docker's tmpfs default is noexec).
    expect((await runner.run('cp /bin/echo /tmp/e && /tmp/e ran && cp /bin/echo ~/e && ~/e ran')).stdout).toBe('ran\nran\n');
  });
});

describe('loosening', () => {
  it('readOnly: false: the root is writable (the user may write only its home and the tmp directories), no file grows past disk', async () => {
    await using runner = await DockerRunner.start({ readOnly: false, disk: '64m' });
    const { HostConfig: host } = await docker.getContainer(runner.id as string).inspect();
    expect(host).toMatchObject({ ReadonlyRootfs: false, ShmSize: 64 * 1024 ** 2 });
    expect(host.Tmpfs ?? {}).toEqual({});
    const { stdout } = await runner.run('touch /etc/x 2>&1 | grep -o "Permission denied"; touch /tmp/a ~/b && echo ok; stat -c "%U %a" ~; ulimit -f');
    // bash's ulimit -f counts 1024-byte blocks.
    expect(stdout).toBe(`Permission denied\nok\nnobody 755\n${64 * 1024}\n`);
  });

  it('user root: a writable root by default; disk sizes the tmpfs places of a read-only one and /dev/shm', async () => {
    await using root = await DockerRunner.start({ user: 'root', workdir: '/root' });
    expect((await docker.getContainer(root.id as string).inspect()).HostConfig.ReadonlyRootfs).toBe(false);
    expect((await root.run('touch /etc/x && echo written')).stdout).toBe('written\n');
    await using small = await DockerRunner.start({ disk: '16m' });
    const { stdout } = await small.run('df -k --output=size /tmp /var/tmp /run/lock ~ /dev/shm | tail -n +2 | tr -d " "');
    expect(stdout).toBe(`${16 * 1024}\n`.repeat(5));
  });

  it('limits follow the options', async () => {
    await using runner = await DockerRunner.start({ memory: '256m', cpus: 0.5, pids: 64, openFiles: 64 });
    const { HostConfig: host } = await docker.getContainer(runner.id as string).inspect();
    expect(host).toMatchObject({ Memory: 256 * 1024 ** 2, MemorySwap: 256 * 1024 ** 2, NanoCpus: 5e8, PidsLimit: 64 });
    expect((await runner.run('ulimit -n')).stdout).toBe('64\n');
  });

  it('root with APT_CAPABILITIES gets exactly those back', async () => {
    await using runner = await DockerRunner.start({ user: 'root', capAdd: APT_CAPABILITIES, workdir: '/root' });
    const { stdout } = await runner.run('id -u; grep CapEff /proc/self/status');
    // CHOWN(0) DAC_OVERRIDE(1) FOWNER(3) SETGID(6) SETUID(7): bits 0,1,3,6,7 = 0xcb.
    expect(stdout).toBe('0\nCapEff:\t00000000000000cb\n');
  });
});

describe('options are checked where they enter', () => {
  it.each([
    [{ memory: -5 }, /`memory` must be a positive whole number of bytes/],
    [{ memory: 'lots' }, /`memory`/],
    [{ cpus: 0 }, /`cpus` must be a positive number/],
    [{ pids: 1.5 }, /`pids` must be a positive whole number/],
    [{ network: 3 }, /`network` must be a boolean or a network name/],
    [{ workdir: 'relative' }, /`workdir` must be an absolute path/],
    [{ disk: 0 }, /`disk` must be a positive whole number of bytes/],
    [{ disk: 'big' }, /`disk`/],
    [{ timeoutMs: -1 }, /`timeoutMs` must be a positive number/],
    [{ mounts: [{ source: '/var/run/docker.sock', target: '/s' }] }, /engine socket/],
    [{ mounts: [{ source: '/run', target: '/r' }] }, /engine socket/],
    [{ netwrk: true }, /`netwrk`.*not an option of DockerRunner/],
  ])('%o is a TypeError naming the option', (options, message) => {
    expect(() => new DockerRunner(options as never)).toThrow(InvalidArgumentError);
    expect(() => new DockerRunner(options as never)).toThrow(TypeError);
    expect(() => new DockerRunner(options as never)).toThrow(message);
  });

  it('reads sizes the way Docker does', () => {
    expect(resolveSandbox({ memory: '512m' }).memoryBytes).toBe(512 * 1024 ** 2);
    expect(resolveSandbox({ memory: '1.5GiB' }).memoryBytes).toBe(1.5 * 1024 ** 3);
    expect(resolveSandbox({ memory: 4096 }).memoryBytes).toBe(4096);
    expect(resolveSandbox({ disk: '64m' }).diskBytes).toBe(64 * 1024 ** 2);
    expect(resolveSandbox({}).diskBytes).toBe(512 * 1024 ** 2);
  });

  it('makes the root read-only by default for any user but root', () => {
    expect(resolveSandbox({}).readOnly).toBe(true);
    expect(resolveSandbox({ user: 'nobody' }).readOnly).toBe(true);
    expect(resolveSandbox({ user: '1000:1000' }).readOnly).toBe(true);
    for (const user of ['root', '0', '0:0', 'root:root']) expect(resolveSandbox({ user }).readOnly, user).toBe(false);
    expect(resolveSandbox({ user: 'root', readOnly: true }).readOnly).toBe(true);
    expect(resolveSandbox({ readOnly: false }).readOnly).toBe(false);
  });
});
