/**
 * Hostile commands against the real, hardened sandbox: fork and memory bombs, output floods, binary
 * output, forged sentinels, commands that never end or never read, shell state left broken on
 * purpose, and attempts to leave the sandbox's limits.
 *
 * Every case checks four things: the host survived (this process can still start programs, the
 * engine answers, and memory stayed bounded where the output was large), the right result or typed
 * error came back, and the runner is then either usable (its state, `X=kept`, survived) or clearly
 * closed (`closed` says why and `run()` rejects with SessionClosedError). Where the outcome could go
 * two ways, the comment says why it is the one asserted.
 *
 * Four cases here were found as bugs by this suite and fixed; their comments say what they pin.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import type Dockerode from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DockerRunner, type DockerRunnerOptions } from '../../src/docker/docker-runner.js';
import { SessionClosedError, type CloseReason } from '../../src/errors.js';
import type { CommandResult } from '../../src/session/command-result.js';
import { containerExists, docker } from '../helpers/docker.js';
import { measureMemory, mib } from '../helpers/memory.js';

const MIB = 1024 ** 2;
const GIB = 1024 ** 3;
const DEFAULT_MAX_OUTPUT = 16 * MIB;
/** Small limits keep the bombs cheap; every runner here gets them unless a case says otherwise. */
const SMALL: DockerRunnerOptions = { pids: 64, memory: '256m' };
/** After a timeout, bash has this long to come back (the session's interrupt grace) before it is given up. */
const GRACE_MS = 2000;

const runners: DockerRunner[] = [];

/** A started runner with small limits and one piece of state (`X=kept`) to check for later. */
async function sandbox(options: DockerRunnerOptions = {}): Promise<DockerRunner> {
  const runner = new DockerRunner({ ...SMALL, ...options });
  runners.push(runner);
  await runner.start();
  expect(await runner.run('X=kept')).toMatchObject({ exitCode: 0 });
  return runner;
}

/** The host is fine: this process can still start a program, and the engine still answers. */
async function expectHostFine(): Promise<void> {
  expect(spawnSync('true').status).toBe(0);
  await expect(docker.ping()).resolves.toBeTruthy();
}

afterEach(async () => {
  await Promise.all(runners.splice(0).map((runner) => runner.stop()));
  await expectHostFine();
});

/** The session still runs commands, and the state set at the start survived. */
async function expectUsable(runner: DockerRunner): Promise<void> {
  expect(await runner.run('echo "ok $X"', { timeoutMs: 10_000 })).toMatchObject({ exitCode: 0, stdout: 'ok kept\n', timedOut: false });
}

/** The session is over, says why, and refuses further commands with that reason. */
async function expectClosed(runner: DockerRunner, reason: CloseReason): Promise<void> {
  expect((await runner.closed).reason).toBe(reason);
  expect(runner.isRunning).toBe(false);
  const error = await runner.run('echo ok').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(SessionClosedError);
  expect(error).toMatchObject({ reason });
}

type Outcome = { result: CommandResult; error?: undefined } | { result?: undefined; error: unknown };
function settle(promise: Promise<CommandResult>): Promise<Outcome> {
  return promise.then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );
}

/** Processes and threads in the container's pids cgroup, and its limit, as the engine reports them. */
async function pidsOf(runner: DockerRunner): Promise<{ current: number; limit: number }> {
  const stats = await docker.getContainer(runner.id as string).stats({ stream: false, 'one-shot': true });
  return { current: stats.pids_stats?.current ?? -1, limit: stats.pids_stats?.limit ?? -1 };
}

/** True while the container exists and runs. */
async function containerRunning(id: string): Promise<boolean> {
  if (!(await containerExists(id))) return false;
  return (await docker.getContainer(id).inspect()).State.Running;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Builtins only (no fork): how many processes the container's PID namespace holds, and how many are called `name`. */
const countProcesses = (name: string) =>
  `n=0 m=0; for p in /proc/[0-9]*; do { read -r c < "$p/comm"; } 2>/dev/null || continue; n=$((n+1)); [[ $c == ${name} ]] && m=$((m+1)); done; echo "$n $m"`;

describe('fork bomb', () => {
  it('is held at the pids limit; builtins keep working; `kill -9 -1` from the shell ends it', async () => {
    const runner = await sandbox();
    // The bomb puts itself in the background, so its own command returns at once.
    expect(await runner.run(':(){ :|:& };:', { timeoutMs: 3000 })).toMatchObject({ exitCode: 0, timedOut: false });
    await expect.poll(async () => (await pidsOf(runner)).current, { timeout: 30_000, interval: 100 }).toBeGreaterThanOrEqual(60);
    for (let i = 0; i < 5; i++) {
      const pids = await pidsOf(runner);
      expect(pids.limit).toBe(64);
      expect(pids.current).toBeLessThanOrEqual(64);
    }
    // Builtins need no new process: the shell still answers, with its state, while the bomb runs.
    await expectUsable(runner);
    const [total] = (await runner.run(countProcesses('bash'), { timeoutMs: 5000 })).stdout.split(' ').map(Number);
    expect(total).toBeGreaterThan(32);
    expect(total).toBeLessThanOrEqual(64);
    await expectHostFine();

    // kill(-1) is a builtin: it reaches every process the sandbox user may signal except bash itself.
    const cleanup = await runner.run('for i in 1 2 3 4 5 6 7 8 9 10; do kill -9 -1 2>/dev/null; done; echo cleaned', { timeoutMs: 5000 });
    expect(cleanup).toMatchObject({ exitCode: 0, stdout: 'cleaned\n' });
    await expect.poll(async () => (await pidsOf(runner)).current, { timeout: 10_000, interval: 100 }).toBeLessThanOrEqual(2);
    expect(await runner.run('/bin/echo "forked $X"', { timeoutMs: 5000 })).toMatchObject({ exitCode: 0, stdout: 'forked kept\n' });
  });

  it('a command that must fork while the bomb runs comes back in bounded time, as a result or a clearly closed session', async () => {
    const runner = await sandbox();
    const id = runner.id as string;
    await runner.run(':(){ :|:& };:');
    await expect.poll(async () => (await pidsOf(runner)).current, { timeout: 30_000, interval: 100 }).toBeGreaterThanOrEqual(60);

    const started = performance.now();
    const outcome = await settle(runner.run('/bin/echo "forked $X"', { timeoutMs: 2000 }));
    // Timeout + grace + the engine's answer: never a hang.
    expect(performance.now() - started).toBeLessThan(2000 + GRACE_MS + 3000);
    await expectHostFine();
    if (outcome.result) {
      // bash got a process slot in one of its fork retries (or was interrupted in a way it survives).
      expect(outcome.result.timedOut || outcome.result.stdout === 'forked kept\n').toBe(true);
      await expectUsable(runner);
      return;
    }
    // What happens here in practice: bash is in its fork-retry loop (EAGAIN), the timeout's SIGUSR2
    // interrupts the retry's sleep, the fork fails with EINTR, and a non-interactive bash treats a
    // failed fork as fatal: 'shell-exited' (status 254). If the kill's `docker exec` could get no
    // process slot, it is 'unresponsive' instead. Either way the bomb ends with the container.
    expect(outcome.error).toBeInstanceOf(SessionClosedError);
    const error = outcome.error as SessionClosedError;
    expect(['shell-exited', 'unresponsive']).toContain(error.reason);
    expect(error.timedOut).toBe(true);
    await expectClosed(runner, error.reason);
    await expect.poll(() => containerRunning(id), { timeout: 10_000 }).toBe(false);
  });
});

describe('memory bomb', () => {
  it('is OOM-killed inside the sandbox: exit 137, oomKilled, host memory untouched, session usable', async () => {
    const runner = await sandbox({ memory: '256m' });
    // `tail` has to hold the last "line" of 2 GiB without a newline: far past 256 MiB, no swap.
    const { value: result, growthBytes, retainedBytes, via } = await measureMemory(() => runner.run('head -c 2G /dev/zero | tail', { timeoutMs: 30_000 }));
    expect(result).toMatchObject({ exitCode: 137, oomKilled: true, timedOut: false, stdout: '' });
    expect(result.stderr).toContain('Killed');
    expect(growthBytes, `host RSS grew ${mib(growthBytes)} (${via})`).toBeLessThan(64 * MIB);
    expect(retainedBytes).toBeLessThan(8 * MIB);
    await expectUsable(runner);
    // A 137 that is not the OOM killer's is not reported as one.
    expect(await runner.run("sh -c 'kill -9 $$'")).toMatchObject({ exitCode: 137, oomKilled: false });
  });
});

describe('output floods', () => {
  it('1 GiB of output: the result keeps 16 MiB and counts the rest, host memory stays bounded, session usable', async () => {
    const runner = await sandbox();
    const flood = await measureMemory(() => runner.run('yes | head -c 1G', { timeoutMs: 120_000 }));
    const result = flood.value;
    const figures = `1 GiB in ${(flood.durationMs / 1000).toFixed(1)} s, host RSS +${mib(flood.growthBytes)} at peak (${flood.via}), +${mib(flood.retainedBytes)} of buffers kept`;
    expect(result, figures).toMatchObject({ exitCode: 0, timedOut: false, truncated: true, droppedBytes: GIB - DEFAULT_MAX_OUTPUT, stderr: '' });
    // The first 8 MiB, a marker saying how much was dropped, the last 8 MiB.
    expect(result.stdout.length).toBeGreaterThanOrEqual(DEFAULT_MAX_OUTPUT);
    expect(result.stdout.length).toBeLessThanOrEqual(DEFAULT_MAX_OUTPUT + 200);
    expect(result.stdout.startsWith('y\ny\ny\n')).toBe(true);
    expect(result.stdout.endsWith('y\ny\ny\n')).toBe(true);
    expect(result.stdout).toContain(String(GIB - DEFAULT_MAX_OUTPUT));
    expect(flood.growthBytes, figures).toBeLessThan(200 * MIB);
    // Nothing of the flood stays behind in buffers once the result is out (its text is in strings).
    expect(flood.retainedBytes, figures).toBeLessThan(64 * MIB);
    await expectUsable(runner);
    // About 6 s on an idle 2-core VM; the time limit leaves room for a busy one.
  }, 150_000);

  // Found by this suite, fixed: runner.output applies backpressure. A reader slower than the
  // sandbox pauses the connection (the command's writes block) instead of piling output up on the
  // host. Without it, ~55 MiB of the 64 MiB flood stayed buffered.
  it('runner.output piped to a slow consumer: host memory stays bounded', async () => {
    const runner = await sandbox();
    const slow = new Writable({
      highWaterMark: 64 * 1024,
      write(_chunk, _encoding, callback) {
        setTimeout(callback, 5);
      },
    });
    runner.output.pipe(slow);
    try {
      const flood = await measureMemory(() => runner.run('yes | head -c 64M', { timeoutMs: 60_000 }));
      expect(flood.value).toMatchObject({ exitCode: 0, truncated: true });
      const figures = `host RSS +${mib(flood.growthBytes)} (${flood.via}), +${mib(flood.retainedBytes)} of buffers kept`;
      expect(flood.retainedBytes, figures).toBeLessThan(32 * MIB);
      expect(flood.growthBytes, figures).toBeLessThan(200 * MIB);
    } finally {
      runner.output.unpipe(slow);
      slow.destroy();
    }
  });

  // Found by this suite, fixed: stream() past 64 unconsumed chunks pauses the connection until the
  // consumer catches up. Without it, the whole flood waited in the queue.
  it('stream() with a consumer slower than the sandbox: host memory stays bounded', async () => {
    const runner = await sandbox();
    const events = runner.stream('yes | head -c 64M', { timeoutMs: 60_000 });
    let stop = false;
    const consumer = (async () => {
      while (!stop) {
        const next = await events.next();
        if (next.done || next.value.type === 'result') return;
        await delay(5);
      }
    })();
    try {
      // Queued behind the flood: resolves once the flood has completed in the session, whatever
      // the consumer has taken so far.
      const flood = await measureMemory(() => runner.run('true'));
      const figures = `host RSS +${mib(flood.growthBytes)} (${flood.via}), +${mib(flood.retainedBytes)} of buffers kept`;
      expect(flood.retainedBytes, figures).toBeLessThan(32 * MIB);
      expect(flood.growthBytes, figures).toBeLessThan(200 * MIB);
    } finally {
      // The stream has ended by now (its result is queued), so the consumer's next() cannot hang;
      // return() then drops the backlog.
      stop = true;
      await consumer;
      await events.return?.();
    }
  });
});

describe('harmless cases, one shared runner', () => {
  let runner: DockerRunner;
  beforeAll(async () => {
    runner = new DockerRunner(SMALL);
    await runner.start();
    await runner.run('X=kept');
  });
  afterAll(async () => {
    await runner.stop();
  });

  it('commands that read stdin forever see end-of-file at once; one that waits on something else times out', async () => {
    const opts = { timeoutMs: 5000 };
    const [cat, readLoop, read, head] = await Promise.all([
      runner.run('cat', opts),
      runner.run('while read -r l; do :; done; echo "loop $?"', opts),
      runner.run('read -r x; echo "read $?"', opts),
      runner.run('head -c 1 | wc -c', opts),
    ]);
    expect(cat).toMatchObject({ exitCode: 0, stdout: '', timedOut: false });
    expect(readLoop).toMatchObject({ exitCode: 0, stdout: 'loop 0\n', timedOut: false });
    expect(read).toMatchObject({ exitCode: 0, stdout: 'read 1\n', timedOut: false });
    expect(head).toMatchObject({ exitCode: 0, stdout: '0\n', timedOut: false });
    // `tail -f` does not read stdin: it never ends by itself.
    expect(await runner.run('tail -f /dev/null', { timeoutMs: 1000 })).toMatchObject({ exitCode: 137, timedOut: true });
    expect((await runner.run(countProcesses('tail'))).stdout).toMatch(/^\d+ 0\n$/);
    await expectUsable(runner);
  });

  it('binary output: the text fields get replacement characters, stream consumers get the exact bytes', async () => {
    const chunks: Record<'stdout' | 'stderr', Buffer[]> = { stdout: [], stderr: [] };
    let result: CommandResult | undefined;
    const command = 'head -c 100000 /dev/urandom | tee /tmp/out.bin; head -c 100000 /dev/urandom | tee /tmp/err.bin >&2';
    for await (const event of runner.stream(command, { timeoutMs: 10_000 })) {
      if (event.type === 'result') result = event.result;
      else chunks[event.type].push(event.data);
    }
    expect(result).toMatchObject({ exitCode: 0, truncated: false });
    const sums = (await runner.run('sha256sum /tmp/out.bin /tmp/err.bin')).stdout;
    const [outSum, errSum] = sums.split('\n').map((line) => line.split(' ')[0]);
    const out = Buffer.concat(chunks.stdout);
    const err = Buffer.concat(chunks.stderr);
    expect(out.length).toBe(100_000);
    expect(err.length).toBe(100_000);
    expect(sha256(out)).toBe(outSum);
    expect(sha256(err)).toBe(errSum);
    expect(result?.stdout).toContain('\uFFFD');
    expect(result?.stderr).toContain('\uFFFD');
    const plain = await runner.run('cat /tmp/out.bin; rm /tmp/out.bin /tmp/err.bin');
    expect(plain.exitCode).toBe(0);
    expect(plain.stdout).toContain('\uFFFD');
    await expectUsable(runner);
  });

  it('sentinel look-alikes (made-up, stale, partial, a thousand of them) come back as output, with the right exit code', async () => {
    const madeUp = 'exit task 00000000-0000-4000-8000-000000000000';
    expect(await runner.run(`echo "${madeUp} 0"; echo "${madeUp}" >&2; (exit 7)`)).toMatchObject({
      exitCode: 7,
      stdout: `${madeUp} 0\n`,
      stderr: `${madeUp}\n`,
    });
    // Prefixes of a sentinel at the very end of the output, on both streams.
    expect(await runner.run('printf "exit task "; printf "exit task 1234"; printf "exit ta" >&2; (exit 3)')).toMatchObject({
      exitCode: 3,
      stdout: 'exit task exit task 1234',
      stderr: 'exit ta',
    });
    // A real uuid of an earlier command: a command can read its own from the frame's variable.
    const stale = /^([0-9a-f-]{36})\n$/.exec((await runner.run('echo "$__ds_id"')).stdout)?.[1];
    expect(stale).toBeDefined();
    const replay = await runner.run(`echo "exit task ${stale} 0"; echo "exit task ${stale}" >&2; (exit 5)`);
    expect(replay).toMatchObject({ exitCode: 5, stdout: `exit task ${stale} 0\n`, stderr: `exit task ${stale}\n` });
    // A thousand sentinel-shaped lines with fresh uuids, through both streams.
    const lines = Array.from({ length: 1000 }, (_, i) => `exit task ${randomUUID()} ${i % 256}\n`).join('');
    expect(await runner.run('tee /dev/stderr; (exit 9)', { stdin: lines })).toMatchObject({ exitCode: 9, stdout: lines, stderr: lines });
    await expectUsable(runner);
  });

  it('network off: a connection attempt fails at once, and only the loopback interface exists', async () => {
    // With no route at all, connect() fails locally (ENETUNREACH): nothing is sent anywhere.
    const attempt = await runner.run("bash -c 'echo > /dev/tcp/1.1.1.1/80'", { timeoutMs: 5000 });
    expect(attempt).toMatchObject({ exitCode: 1, timedOut: false });
    expect(attempt.stderr).toContain('Network is unreachable');
    expect(attempt.durationMs).toBeLessThan(2000);
    expect(await runner.run('ls /sys/class/net; cat /sys/class/net/*/operstate')).toMatchObject({ exitCode: 0, stdout: 'lo\nunknown\n' });
    // No routes: only the header line of the routing table.
    expect((await runner.run('wc -l < /proc/net/route')).stdout).toBe('1\n');
    await expectUsable(runner);
  });

  it('setuid and su gain nothing under no-new-privileges', async () => {
    expect(await runner.run('id -u; id -g')).toMatchObject({ exitCode: 0, stdout: '65534\n65534\n' });
    expect((await runner.run('grep -E "^(NoNewPrivs|CapEff|CapBnd):" /proc/self/status')).stdout).toBe(
      'CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\nNoNewPrivs:\t1\n',
    );
    const su = await runner.run('su -c id root </dev/null', { timeoutMs: 10_000 });
    expect(su).toMatchObject({ exitCode: 1, stdout: '' });
    expect(su.stderr).toContain('Authentication failure');
    // Setting the setuid bit on one's own copy works, and changes nothing: the owner is the sandbox user.
    expect(await runner.run('cp /usr/bin/id ./myid && chmod u+s ./myid && test -u ./myid && ./myid -u; rm -f ./myid')).toMatchObject({
      exitCode: 0,
      stdout: '65534\n',
    });
    // The real check: a setuid-root program (su, waiting for a password) keeps the caller's uid.
    expect((await runner.run(SETUID_PROBE, { timeoutMs: 10_000 })).stdout).toBe('Uid:\t65534\t65534\t65534\t65534\n');
    await expectUsable(runner);
  });
});

/** Starts su (setuid root) waiting on a password, prints its real/effective/saved/fs uids, kills it. */
const SETUID_PROBE =
  'sleep 5 | su -c id root & ' +
  'for i in {1..250}; do for p in /proc/[0-9]*; do { read -r c < "$p/comm"; } 2>/dev/null || continue; ' +
  'if [[ $c == su ]]; then grep "^Uid:" "$p/status"; break 2; fi; done; sleep 0.02; done; kill %1; wait';

describe('privileges', () => {
  it('the setuid probe does see an escalation when no-new-privileges is off (control)', async () => {
    const runner = await sandbox({ allowPrivilegeEscalation: true });
    expect((await runner.run(SETUID_PROBE, { timeoutMs: 10_000 })).stdout).toBe('Uid:\t65534\t0\t0\t0\n');
  });

  it('a read-only root refuses writes; /tmp and the workdir stay writable', async () => {
    const runner = await sandbox({ readOnly: true });
    for (const path of ['/etc/x', '/x', '/usr/local/bin/x', '/var/cache/x']) {
      const result = await runner.run(`touch ${path}`);
      expect(result.exitCode, path).toBe(1);
      expect(result.stderr, path).toContain('Read-only file system');
    }
    expect(await runner.run('touch /tmp/a "$HOME/b" && echo written; pwd')).toMatchObject({ exitCode: 0, stdout: 'written\n/home/sandbox\n' });
    expect((await runner.run('grep " / " /proc/mounts')).stdout).toMatch(/^\S+ \/ \S+ ro[, ]/);
    await expectUsable(runner);
  });
});

describe('disk bombs', () => {
  const DISK = 64 * MIB;
  /** What the container's writable layer holds on the host's disk, as the engine counts it. */
  const layerBytes = async (runner: DockerRunner): Promise<number> =>
    ((await docker.getContainer(runner.id as string).inspect({ size: true } as Dockerode.ContainerInspectOptions)) as { SizeRw?: number }).SizeRw ?? 0;

  describe('the default sandbox (read-only root): each writable place is a tmpfs of `disk` bytes', () => {
    let runner: DockerRunner;
    beforeAll(async () => {
      runner = new DockerRunner({ ...SMALL, disk: '64m' });
      await runner.start();
    });
    afterAll(async () => {
      await runner.stop();
    });

    it.each(['/tmp', '/var/tmp', '/run/lock', '/var/lock', '$HOME', '/dev/shm'])(
      '1 GiB into %s stops at the bound with ENOSPC; the host disk gets nothing',
      async (place) => {
        const result = await runner.run(`head -c 1024m /dev/zero > ${place}/fill; echo "$? $(stat -c %s ${place}/fill)"; rm ${place}/fill`, {
          timeoutMs: 30_000,
        });
        expect(result.stderr).toContain('No space left on device');
        expect(result.stdout).toBe(`1 ${DISK}\n`);
        expect(await layerBytes(runner)).toBe(0);
        expect((await runner.run(`echo ok > ${place}/after && cat ${place}/after && rm ${place}/after`)).stdout).toBe('ok\n');
      },
    );
  });

  it('files past `memory` across places: the OOM killer ends the session, which says so', async () => {
    const runner = await sandbox({ memory: '256m', disk: '128m' });
    const outcome = await settle(runner.run('for p in /tmp /var/tmp ~; do head -c 128m /dev/zero > $p/fill; done', { timeoutMs: 30_000 }));
    expect(outcome.error).toBeInstanceOf(SessionClosedError);
    expect(outcome.error).toMatchObject({ reason: 'shell-killed' });
    expect((outcome.error as SessionClosedError).detail).toMatch(/OOMKilled.*tmpfs places/);
    await expectClosed(runner, 'shell-killed');
  });

  it.each([
    ['root, anywhere on its writable root', { user: 'root', workdir: '/root' }, '/fill'],
    ['nobody with readOnly: false, in /var/tmp', { readOnly: false }, '/var/tmp/fill'],
  ] as const)('%s: the watchdog ends the session past `disk`, and the container goes with its layer', async (_name, options, dir) => {
    const runner = await sandbox({ ...options, disk: '64m' });
    const id = runner.id as string;
    const outcome = await settle(runner.run(`mkdir ${dir} && for i in $(seq 64); do head -c 16m /dev/zero > ${dir}/$i || exit; done`, { timeoutMs: 60_000 }));
    // 1 GiB in files of 16 MiB (each under ulimit -f): only the watchdog can stop it.
    expect(outcome.error).toBeInstanceOf(SessionClosedError);
    expect(outcome.error).toMatchObject({ reason: 'disk-limit' });
    const written = Number(/wrote ([\d.]+) MiB/.exec((outcome.error as SessionClosedError).detail)?.[1]) * MIB;
    expect(written).toBeGreaterThan(DISK);
    expect(written, `the watchdog acted at ${mib(written)}`).toBeLessThan(1024 * MIB);
    await expectClosed(runner, 'disk-limit');
    // stop() is the removal the watchdog started: once it resolves, the layer is off the host's disk.
    await runner.stop();
    expect(await containerExists(id)).toBe(false);
  });

  it.each(['/etc/hosts', '/etc/hostname', '/etc/resolv.conf'])(
    'root with a writable root: %s (a host file outside the layer) stops at `disk` (ulimit -f)',
    async (file) => {
      const runner = await sandbox({ user: 'root', workdir: '/root', disk: '64m' });
      const result = await runner.run(`head -c 1024m /dev/zero >> ${file}; echo "$? $(stat -c %s ${file})"`, { timeoutMs: 30_000 });
      expect(result.stderr).toContain('File size limit exceeded');
      // 153: killed by SIGXFSZ.
      expect(result.stdout).toMatch(new RegExp(`^153 ${DISK}\\n$`));
      await expectUsable(runner);
    },
  );
});

describe('commands that never end', () => {
  it('`sleep infinity` with a timeout: timedOut, exit 137, cwd and variables kept, nothing left running', async () => {
    const runner = await sandbox();
    await runner.run('cd /tmp && Y=also');
    const result = await runner.run('sleep infinity', { timeoutMs: 1000 });
    expect(result).toMatchObject({ exitCode: 137, timedOut: true, canceled: false, stdout: '' });
    expect(result.durationMs).toBeGreaterThanOrEqual(1000);
    expect(result.durationMs).toBeLessThan(1000 + GRACE_MS);
    expect(await runner.run('echo "$X $Y $PWD"')).toMatchObject({ exitCode: 0, stdout: 'kept also /tmp\n' });
    expect((await runner.run(countProcesses('sleep'))).stdout).toMatch(/^\d+ 0\n$/);
  });

  it('a busy loop in bash itself: timedOut, the interrupt trap breaks out, session usable', async () => {
    const runner = await sandbox();
    const result = await runner.run('while :; do :; done', { timeoutMs: 1000 });
    expect(result).toMatchObject({ timedOut: true, canceled: false });
    expect(result.durationMs).toBeLessThan(1000 + GRACE_MS);
    await expectUsable(runner);
  });

  // Found by this suite, fixed: an interrupted command never reports 0. A bash loop broken by the
  // interrupt ended with whatever $? was; now 124 on a timeout (130 on a cancel).
  it('a timed-out busy loop does not report exit code 0', async () => {
    const runner = await sandbox();
    const result = await runner.run('while :; do :; done', { timeoutMs: 1000 });
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).not.toBe(0);
  });
});

describe('broken output streams', () => {
  it('`exec >/dev/null`: later stdout goes nowhere, but commands complete with their exit codes, stderr and state', async () => {
    const runner = await sandbox();
    expect(await runner.run('exec >/dev/null')).toMatchObject({ exitCode: 0, stdout: '' });
    expect(await runner.run('echo hidden; (exit 3)')).toMatchObject({ exitCode: 3, stdout: '', stderr: '' });
    expect(await runner.run('echo "ok $X" >&2')).toMatchObject({ exitCode: 0, stdout: '', stderr: 'ok kept\n' });
    // The timeout path does not need the shell's stdout either.
    const slept = await runner.run('sleep infinity', { timeoutMs: 1000 });
    expect(slept).toMatchObject({ exitCode: 137, timedOut: true, stdout: '' });
    expect(await runner.run('echo "still $X" >&2')).toMatchObject({ exitCode: 0, stderr: 'still kept\n' });
  });

  it("`exec 2>&-`: later stderr is gone (even bash's own messages), exit codes and stdout stay right", async () => {
    const runner = await sandbox();
    expect(await runner.run('exec 2>&-')).toMatchObject({ exitCode: 0 });
    // echo to a closed fd fails with a write error, which it cannot report either.
    expect(await runner.run('echo err >&2')).toMatchObject({ exitCode: 1, stdout: '', stderr: '' });
    expect(await runner.run('ls /nonexistent')).toMatchObject({ exitCode: 2, stdout: '', stderr: '' });
    expect(await runner.run('no-such-command')).toMatchObject({ exitCode: 127, stderr: '' });
    await expectUsable(runner);
  });
});

describe('trap games', () => {
  it("`trap '' USR2 INT TERM`: USR2 is refused with a message (it stops timed-out commands); timeouts keep working, shell loops included", async () => {
    const runner = await sandbox();
    const refused = await runner.run("trap '' USR2 INT TERM");
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('SIGUSR2 is reserved');
    expect((await runner.run('trap -p INT')).stdout).toBe("trap -- '' SIGINT\n");
    expect(await runner.run('sleep 10', { timeoutMs: 1000 })).toMatchObject({ exitCode: 137, timedOut: true });
    // A loop in bash itself ends through the USR2 trap, which is still docker-shell's.
    expect(await runner.run('while :; do sleep 0.1; done', { timeoutMs: 1000 })).toMatchObject({ timedOut: true });
    await expectUsable(runner);
  });

  it("`builtin trap '' USR2` (going around the refusal): a timed-out shell loop gives the session up", async () => {
    const runner = await sandbox();
    await runner.run("builtin trap '' USR2");
    // The kill script SIGKILLs the command's tagged processes; bash, waiting on its foreground
    // `sleep`, sees it die and goes on without needing its USR2 trap.
    expect(await runner.run('sleep 10', { timeoutMs: 1000 })).toMatchObject({ exitCode: 137, timedOut: true });
    await expectUsable(runner);
    // A loop in bash itself only ends through the USR2 trap, which is now ignored: each new `sleep`
    // replaces the killed one, bash never comes back, and after the grace the sandbox is given up.
    const id = runner.id as string;
    const started = performance.now();
    const error = await runner.run('while :; do sleep 0.1; done', { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionClosedError);
    expect(error).toMatchObject({ reason: 'unresponsive', timedOut: true });
    expect(performance.now() - started).toBeGreaterThanOrEqual(1000 + GRACE_MS - 50);
    await expectClosed(runner, 'unresponsive');
    await expect.poll(() => containerExists(id), { timeout: 10_000 }).toBe(false);
  });

  it("`builtin trap - USR2` (default action: terminate): the timeout's SIGUSR2 kills bash, and the session says so", async () => {
    const runner = await sandbox();
    expect((await runner.run('trap - USR2')).stderr).toContain('SIGUSR2 is reserved');
    await runner.run('builtin trap - USR2');
    const error = await runner.run('sleep 10', { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionClosedError);
    // 140 = 128 + 12 (SIGUSR2). The error's `signal` says 'signal 12': the name table lacks USR2.
    expect(error).toMatchObject({ reason: 'shell-killed', exitCode: 140, timedOut: true });
    await expectClosed(runner, 'shell-killed');
  });

  it("`trap 'echo trapped' EXIT DEBUG`: the trap's output joins each command's, exit codes and timeouts still work", async () => {
    const runner = await sandbox();
    const seen: Buffer[] = [];
    runner.output.on('data', (chunk: Buffer) => seen.push(chunk));
    await runner.run("trap 'echo trapped' EXIT DEBUG");
    // The DEBUG trap runs before each of the command's simple commands (a subshell is none: its
    // commands do not inherit the trap), and before none of the frame's.
    const failed = await runner.run('(exit 3)');
    expect(failed.exitCode).toBe(3);
    expect(failed.stdout).toBe('');
    const slept = await runner.run('sleep 10', { timeoutMs: 1000 });
    expect(slept).toMatchObject({ exitCode: 137, timedOut: true });
    const ok = await runner.run('echo "ok $X"');
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toBe('trapped\nok kept\n');
    // The EXIT trap runs when bash reaches end of input on close().
    const before = Buffer.concat(seen).length;
    await runner.close();
    expect(await runner.closed).toMatchObject({ reason: 'shell-exited', exitCode: 0 });
    expect(Buffer.concat(seen).subarray(before).toString()).toContain('trapped');
  });
});

describe('shell options left on', () => {
  it('`set -e`: a failing command ends only itself; errexit stays on, and the session with its state lives', async () => {
    const runner = await sandbox();
    await runner.run('set -e; cd /tmp; kept_var=1');
    await expectUsable(runner);
    expect(await runner.run('false || echo handled')).toMatchObject({ exitCode: 0, stdout: 'handled\n' });
    expect(await runner.run('echo before; false; echo after')).toMatchObject({ exitCode: 1, stdout: 'before\n' });
    expect(await runner.run('echo "$PWD $kept_var $-"')).toMatchObject({ exitCode: 0, stdout: expect.stringMatching(/^\/tmp 1 \S*e/) });
  });

  it("`set -u`: an unbound variable fails the command with bash's message; the session and `set -u` stay", async () => {
    const runner = await sandbox();
    await runner.run('set -u');
    await expectUsable(runner);
    // Exit 137 makes the session probe the cgroup's OOM count: that path is `set -u` clean too.
    expect(await runner.run("sh -c 'kill -9 $$'")).toMatchObject({ exitCode: 137, oomKilled: false });
    const failed = await runner.run('echo "$UNDEFINED"; echo never');
    expect(failed).toMatchObject({ exitCode: 1, stdout: '' });
    expect(failed.stderr).toBe('bash: line 1: UNDEFINED: unbound variable\n');
    expect((await runner.run('echo "ok $X $-"')).stdout).toMatch(/^ok kept \S*u/);
  });

  it('`set -o pipefail`: later pipelines report the failing stage, session usable', async () => {
    const runner = await sandbox();
    await runner.run('set -o pipefail');
    expect(await runner.run('false | true')).toMatchObject({ exitCode: 1 });
    expect(await runner.run('true | true')).toMatchObject({ exitCode: 0 });
    // `yes` dies of SIGPIPE when `head` has had enough: 128 + 13.
    expect(await runner.run('yes | head -1')).toMatchObject({ exitCode: 141, stdout: 'y\n' });
    await expectUsable(runner);
  });
});

describe('ulimit changes', () => {
  it('`ulimit -n 16` and a lower `ulimit -u`: later commands, forking ones included, still complete', async () => {
    const runner = await sandbox();
    expect(await runner.run('ulimit -n 16; ulimit -Su 2000')).toMatchObject({ exitCode: 0 });
    expect(await runner.run('/bin/echo forked; cat /etc/hostname >/dev/null && ulimit -n && ulimit -u', { timeoutMs: 5000 })).toMatchObject({
      exitCode: 0,
      stdout: 'forked\n16\n2000\n',
    });
    expect(await runner.run('sleep infinity', { timeoutMs: 1000 })).toMatchObject({ exitCode: 137, timedOut: true });
    await expectUsable(runner);
  });

  it('`ulimit -u 1`: builtins still complete; a command that must fork ends the session at its timeout', async () => {
    const runner = await sandbox();
    await runner.run('ulimit -u 1');
    await expectUsable(runner);
    // RLIMIT_NPROC counts every process of uid 65534, bash included, so no fork can succeed. bash
    // retries (sleeping 1, 2, 4, 8 s); the timeout's SIGUSR2 interrupts that sleep, the fork fails
    // with EINTR, and a non-interactive bash exits on a failed fork. Going on in a new bash needs
    // a fork too: it fails (bash exits) or retries past the grace ('unresponsive': given up).
    const error = await runner.run('/bin/echo never', { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionClosedError);
    expect(error).toMatchObject({ timedOut: true, stdout: '' });
    const { reason } = error as SessionClosedError;
    expect(['shell-exited', 'unresponsive']).toContain(reason);
    expect((error as SessionClosedError).stderr).toContain('fork');
    await expectClosed(runner, reason);
  });
});

describe('background jobs', () => {
  it('a job that keeps writing: later results contain their own output and complete; `kill %1` / `kill $!` stop it', async () => {
    const runner = await sandbox();
    const writer = '(while :; do echo bg; sleep 0.01; done) &';
    expect(await runner.run(writer)).toMatchObject({ exitCode: 0 });
    // Output of the job that arrives while a later command runs is that command's output by design
    // (nothing can tell it apart); each `echo bg` is one atomic write, so it comes as whole lines.
    let sawBackground = 0;
    for (let i = 0; i < 20; i++) {
      const result = await runner.run(`sleep 0.02; echo "mine ${i}"; (exit ${i})`, { timeoutMs: 5000 });
      expect(result.exitCode).toBe(i);
      expect(result.stdout.replace(/^bg\n/gm, '')).toBe(`mine ${i}\n`);
      if (result.stdout.includes('bg\n')) sawBackground++;
    }
    expect(sawBackground).toBeGreaterThan(0);
    expect(await runner.run('kill %1')).toMatchObject({ exitCode: 0 });
    // Lines written just before the kill may still be on their way: wait for a quiet round, then
    // check that a window long enough for dozens of lines stays quiet.
    await expect.poll(async () => (await runner.run('sleep 0.05; echo quiet')).stdout, { timeout: 5000 }).toBe('quiet\n');
    expect((await runner.run('sleep 0.3; echo quiet')).stdout).toBe('quiet\n');

    expect(await runner.run(writer)).toMatchObject({ exitCode: 0 });
    expect(await runner.run('kill $!')).toMatchObject({ exitCode: 0 });
    await expect.poll(async () => (await runner.run('sleep 0.05; echo quiet')).stdout, { timeout: 5000 }).toBe('quiet\n');
    expect((await runner.run('sleep 0.3; echo quiet; jobs -r | wc -l')).stdout).toBe('quiet\n0\n');
    await expectUsable(runner);
  });

  it("a job that reads the shell's own input through /proc: the next command cannot arrive, and the session is given up in bounded time", async () => {
    const runner = await sandbox();
    const id = runner.id as string;
    // During a command bash's stdin is /dev/null; its real input (the pipe the frames come on) is
    // saved on another fd: the one read-only pipe among bash's fds.
    const findInput =
      'for f in /proc/$$/fd/*; do n=${f##*/}; [[ $(readlink "$f") == pipe:* ]] || continue; ' +
      '{ while read -r k v; do [[ $k == flags: ]] && (( (8#$v & 3) == 0 )) && echo "$n"; done < "/proc/$$/fdinfo/$n"; } 2>/dev/null; done';
    const fd = (await runner.run(findInput)).stdout.split('\n')[0] ?? '';
    expect(fd).toMatch(/^\d+$/);
    // The thief is running and has the pipe open before this command ends.
    await runner.run(`cat /proc/$$/fd/${fd} > /tmp/stolen & until [[ -e /proc/$!/fd/3 ]]; do sleep 0.01; done`, { timeoutMs: 5000 });
    const started = performance.now();
    const outcome = await settle(runner.run('echo "ok $X"', { timeoutMs: 1000 }));
    expect(performance.now() - started).toBeLessThan(1000 + GRACE_MS + 3000);
    if (outcome.result) {
      // bash won the read race for the whole frame (two readers on one pipe). Not seen in practice.
      expect(outcome.result.stdout).toBe('ok kept\n');
      return;
    }
    // The frame went to the thief: no sentinel comes, the timeout finds nothing of the command to
    // kill, bash stays idle, and after the grace the sandbox is given up and removed.
    expect(outcome.error).toBeInstanceOf(SessionClosedError);
    expect(outcome.error).toMatchObject({ reason: 'unresponsive', timedOut: true });
    await expectClosed(runner, 'unresponsive');
    await expect.poll(() => containerExists(id), { timeout: 10_000 }).toBe(false);
  });
});

describe('builtins disabled', () => {
  // Found by this suite, fixed: `enable -n echo` used to break every later command (the sentinel
  // uses builtin echo); the sentinel function now re-enables the builtins it needs.
  it('`enable -n echo` does not break command completion', async () => {
    const runner = await sandbox();
    expect(await runner.run('enable -n echo', { timeoutMs: 1500 })).toMatchObject({ exitCode: 0 });
    expect(await runner.run('/bin/echo "ok $X"', { timeoutMs: 1500 })).toMatchObject({ exitCode: 0, stdout: 'ok kept\n' });
  });
});
