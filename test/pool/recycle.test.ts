/**
 * RunnerPool `policy: 'recycle'` against the real engine: the leak suite. One job plants a kind of
 * leftover, the next job on the SAME container looks for it and must see the sandbox as it was
 * before the plant; what cannot be cleaned (a lowered hard limit, an image file changed under a
 * writable root) must make the pool destroy the container instead.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockerRunner } from '../../src/docker/docker-runner.js';
import { BASE_IMAGE } from '../../src/docker/images.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { RunnerPool, type RecycleEvent, type RunnerPoolOptions } from '../../src/index.js';
import { docker } from '../helpers/docker.js';

const TEST_LABEL = 'dev.docker-shell.test-recycle';

function recyclingPool(options: RunnerPoolOptions = {}): { pool: RunnerPool; events: RecycleEvent[] } {
  const runner = { ...options.runner, labels: { [TEST_LABEL]: 'true' } };
  const pool = new RunnerPool({ max: 1, ...options, runner, policy: 'recycle' });
  const events: RecycleEvent[] = [];
  pool.on('recycle', (event) => events.push(event));
  return { pool, events };
}

/** What a job sees of every kind of leftover, read from /proc and the file system. */
const LOOK = [
  // With builtins only, so that the look itself starts no process it would then see.
  'printf "processes:"; for p in /proc/[0-9]*; do read -r c < $p/comm; [[ ${p#/proc/} == $$ ]] && c=session; printf " %s" "$c"; done; echo',
  'echo "files: $(find ~ /tmp /var/tmp /run/lock /dev/shm /dev/mqueue -mindepth 1 2>&1 | sort | tr "\\n" " ")"',
  'echo "sysv: $(tail -q -n +2 /proc/sysvipc/shm /proc/sysvipc/msg /proc/sysvipc/sem | wc -l)"',
  'echo "tcp listening: $(cat /proc/net/tcp /proc/net/tcp6 | grep -c " 0A ")"',
  'echo "unix listening: $(grep -c " 00010000 " /proc/net/unix)"',
  'echo "env: ${LEAK-unset} umask: $(umask) core: $(ulimit -S -c) cwd: $PWD"',
  'echo "function: $(type -t leaked || echo none) alias: $(alias leaked 2>/dev/null || echo none) trap: $(trap -p EXIT) options: $-"',
].join('\n');

/** Each kind of leftover, planted by one job. */
const PLANTS: Array<[kind: string, plant: string]> = [
  ['a background process', 'sleep 1000 &'],
  ['a setsid process', 'setsid sleep 1000 &'],
  ['a nohup process', 'nohup sleep 1000 >/dev/null 2>&1 &'],
  ['a double-forked daemon', '(sleep 1000 &)'],
  ['a stopped process', 'sleep 1000 & kill -STOP $!'],
  ['a fork bomb within the pids limit', "perl -e 'fork for 1 .. 6; sleep 1000' &"],
  ['files in the workdir (HOME) and /tmp', 'echo x > ~/file; echo y > ~/.hidden; mkdir -p ~/deep/er && echo z > ~/deep/er/f; echo t > /tmp/t'],
  ['files in /var/tmp, /run/lock and /dev/shm (POSIX shm)', 'echo v > /var/tmp/v; echo l > /run/lock/l; echo s > /dev/shm/posix-shm'],
  ['a chmod 000 directory', 'mkdir -p /tmp/locked/inner && echo k > /tmp/locked/inner/k && chmod 000 /tmp/locked/inner /tmp/locked'],
  ['SysV shared memory, a message queue and semaphores', 'ipcmk -M 4096 && ipcmk -Q && ipcmk -S 2'],
  [
    'a listening TCP socket',
    `perl -MIO::Socket::INET -e 'my $s = IO::Socket::INET->new(Listen => 5, LocalAddr => "127.0.0.1:8080", ReuseAddr => 1) or die $!; sleep 1000' &
     until grep -q ' 0A ' /proc/net/tcp; do sleep 0.01; done`,
  ],
  [
    'listening unix sockets (a path and an abstract one)',
    `perl -MIO::Socket::UNIX -e 'my $p = IO::Socket::UNIX->new(Listen => 5, Local => "/tmp/sock") or die $!; my $a = IO::Socket::UNIX->new(Listen => 5, Local => "\\0abstract") or die $!; sleep 1000' &
     until [ "$(grep -c ' 00010000 ' /proc/net/unix)" = 2 ]; do sleep 0.01; done`,
  ],
  ['an exported variable, umask, a raised soft limit and another cwd', 'export LEAK=1; umask 077; ulimit -S -c 1024; cd /tmp'],
  ['a shell function, an alias, an EXIT trap and shell options', "leaked() { :; }; alias leaked=ls; trap 'echo bye' EXIT; set -u"],
];

describe("RunnerPool policy 'recycle' (leak suite)", () => {
  const { pool, events } = recyclingPool({ min: 1 });
  let firstId: string | undefined;

  beforeAll(async () => {
    await pool.start();
  });
  afterAll(async () => {
    await pool.close();
  });

  /** Runs one job; fails with the recycle's reason when the pool had to destroy the container. */
  async function job<T>(fn: (runner: DockerRunner) => Promise<T>): Promise<{ id: string; value: T }> {
    return pool.run(async (runner) => {
      const id = runner.id as string;
      firstId ??= id;
      const dirty = events.filter((event) => !event.clean);
      expect(dirty, `recycles that were not clean: ${dirty.map((event) => event.reason).join(' / ')}`).toEqual([]);
      return { id, value: await fn(runner) };
    });
  }

  it.each(PLANTS)('the next job on the same container finds no trace of %s', async (_kind, plant) => {
    const planted = await job(async (runner) => {
      const before = (await runner.run(LOOK, { check: true })).stdout;
      await runner.run(plant, { check: true, timeoutMs: 10_000 });
      const during = (await runner.run(LOOK)).stdout;
      return { before, during };
    });
    // The plant is there to find: a look that could not see it would prove nothing.
    expect(planted.value.during).not.toBe(planted.value.before);
    const next = await job(async (runner) => (await runner.run(LOOK, { check: true })).stdout);
    expect(next.id).toBe(planted.id);
    expect(next.value).toBe(planted.value.before);
  });

  it('the next job on the same container finds no trace of a fork bomb that filled the pids limit', async () => {
    const count = 'n=0; for p in /proc/[0-9]*; do n=$((n + 1)); done; echo $n';
    const planted = await job(async (runner) => {
      const before = (await runner.run(count, { check: true })).stdout;
      await runner.run('b() { b & b & }; b', { check: true });
      // Counted by builtins: once the bomb fills the limit, a fork may fail.
      await runner.run(`until [ "$(${count})" -gt 200 ]; do :; done`, { timeoutMs: 20_000 }).catch(() => {});
      return { before, during: (await runner.run(count)).stdout };
    });
    expect(Number(planted.value.during)).toBeGreaterThan(200);
    const next = await job(async (runner) => (await runner.run(count, { check: true })).stdout);
    expect(next.id).toBe(planted.id);
    expect(next.value).toBe(planted.value.before);
  });

  it('ends what the runner held for the job: spawned processes and terminals', async () => {
    const planted = await job(async (runner) => {
      await runner.spawn('sleep 1000');
      await runner.pty();
      return (await runner.run('ps -e -o comm= | grep -c sleep')).stdout.trim();
    });
    expect(Number(planted.value)).toBeGreaterThan(0);
    const next = await job(async (runner) => ({
      processes: runner.processes().length,
      sleeps: (await runner.run('ps -e -o comm= | grep -c sleep')).stdout.trim(),
    }));
    expect(next.id).toBe(planted.id);
    expect(next.value).toEqual({ processes: 0, sleeps: '0' });
  });

  it('kept one container through every job, and counted each clean recycle', () => {
    expect(pool.stats.destroyed).toBe(0);
    expect(pool.stats.recycled).toBe(events.length);
    expect(events.every((event) => event.clean && event.containerId === firstId)).toBe(true);
  });
});

describe("RunnerPool policy 'recycle': what cannot be cleaned is destroyed", () => {
  it('a lowered hard limit (no capability to raise it back)', async () => {
    const { pool, events } = recyclingPool();
    try {
      const first = await pool.run(async (runner) => {
        await runner.run('ulimit -H -c 0', { check: true });
        return runner.id;
      });
      const second = await pool.run(async (runner) => runner.id);
      expect(second).not.toBe(first);
      expect(pool.stats).toMatchObject({ recycleFailed: 1, destroyed: 1 });
      expect(events[0]).toMatchObject({ containerId: first, clean: false });
      expect(events[0]?.reason).toContain('resource limits');
    } finally {
      await pool.close();
    }
  });

  describe('a writable root', () => {
    // An image with a file the sandbox user may change outside any writable place.
    const IMAGE = 'docker-shell/test-recycle-writable:1';
    beforeAll(() => {
      const dockerfile = `FROM ${BASE_IMAGE}\nRUN mkdir /opt/app && echo v1 > /opt/app/config && chown 65534:65534 /opt/app/config\n`;
      execFileSync('docker', ['build', '-q', '-t', IMAGE, '-'], { input: dockerfile, stdio: ['pipe', 'ignore', 'inherit'] });
    });
    afterAll(async () => {
      await docker
        .getImage(IMAGE)
        .remove({ force: true })
        .catch(() => {});
    });

    it('is recycled when the job wrote only in writable places', async () => {
      const { pool, events } = recyclingPool({ runner: { image: IMAGE, readOnly: false } });
      try {
        const first = await pool.run(async (runner) => {
          await runner.run('echo x > ~/f; echo y > /tmp/y; sleep 1000 &', { check: true });
          return runner.id;
        });
        const second = await pool.run(async (runner) => ({ id: runner.id, files: (await runner.run('ls -A ~ /tmp')).stdout }));
        expect(events[0]?.reason).toBeUndefined();
        expect(second.id).toBe(first);
        expect(second.files).not.toMatch(/\bf\b|\by\b/);
      } finally {
        await pool.close();
      }
    });

    it("is destroyed when the job changed a file of the image (the engine's docker diff shows it)", async () => {
      const { pool, events } = recyclingPool({ runner: { image: IMAGE, readOnly: false } });
      try {
        const first = await pool.run(async (runner) => {
          await runner.run('echo v2 > /opt/app/config', { check: true });
          return runner.id;
        });
        const second = await pool.run(async (runner) => ({ id: runner.id, config: (await runner.run('cat /opt/app/config')).stdout }));
        expect(second.id).not.toBe(first);
        expect(second.config).toBe('v1\n');
        expect(pool.stats.recycleFailed).toBe(1);
        expect(events[0]?.reason).toContain('/opt/app/config');
      } finally {
        await pool.close();
      }
    });
  });
});

describe("RunnerPool policy 'recycle' under gVisor (runtime: 'runsc')", () => {
  it('recycles the same container: processes, files and SysV IPC of the job are gone', async () => {
    const { pool, events } = recyclingPool({ runner: { runtime: 'runsc' } });
    try {
      const planted = await pool.run(async (runner) => {
        const before = (await runner.run(LOOK, { check: true })).stdout;
        await runner.run('sleep 1000 & (setsid sleep 1000 &); echo x > ~/f; echo y > /dev/shm/s; ipcmk -M 4096 >/dev/null; export LEAK=1; cd /tmp', {
          check: true,
        });
        return { id: runner.id, before, during: (await runner.run(LOOK)).stdout };
      });
      expect(planted.during).not.toBe(planted.before);
      const next = await pool.run(async (runner) => ({ id: runner.id, look: (await runner.run(LOOK, { check: true })).stdout }));
      expect(events[0]?.reason).toBeUndefined();
      expect(next).toEqual({ id: planted.id, look: planted.before });
    } finally {
      await pool.close();
    }
  });
});

describe("RunnerPool policy 'recycle': options", () => {
  it('refuses a writable bind mount (cleaning it would delete the host files)', () => {
    expect(() => new RunnerPool({ policy: 'recycle', runner: { mounts: [{ source: '/tmp', target: '/data', readOnly: false }] } })).toThrow(
      InvalidArgumentError,
    );
    expect(() => new RunnerPool({ policy: 'recycle', runner: { mounts: [{ source: '/tmp', target: '/data' }] } })).not.toThrow();
  });

  it('refuses a root user', () => {
    expect(() => new RunnerPool({ policy: 'recycle', runner: { user: 'root' } })).toThrow(/non-root user/);
  });

  it("keeps reset for policy 'reuse' only", () => {
    expect(() => new RunnerPool({ policy: 'recycle', reset: async () => {} })).toThrow(InvalidArgumentError);
  });
});
