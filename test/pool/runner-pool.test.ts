/**
 * RunnerPool against the real Docker engine: warm hand-out, destroy and reuse policies, the bounded
 * wait queue, timeouts and aborts, runners dying while idle, close() and stats.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DockerRunner } from '../../src/docker/docker-runner.js';
import {
  ImageNotFoundError,
  InvalidArgumentError,
  PoolAcquireCanceledError,
  PoolAcquireTimeoutError,
  PoolClosedError,
  PoolQueueFullError,
} from '../../src/errors.js';
import { RunnerPool, type PoolStats, type RunnerPoolOptions } from '../../src/index.js';
import { containersLabelled, docker } from '../helpers/docker.js';

const pools: RunnerPool[] = [];

// Every runner of these tests carries this label, so checks see only this file's containers (one
// still being removed by an earlier file must not fail them).
const TEST_LABEL = 'dev.docker-shell.test-pool';
const labelledContainers = (): Promise<string[]> => containersLabelled(TEST_LABEL);

function pool(options: RunnerPoolOptions): RunnerPool {
  const runner = { ...options.runner, labels: { ...options.runner?.labels, [TEST_LABEL]: 'true' } };
  const made = new RunnerPool({ ...options, runner });
  pools.push(made);
  return made;
}

/** Resolves once the pool's stats satisfy `predicate`. */
function statsWhere(target: RunnerPool, predicate: (stats: PoolStats) => boolean): Promise<PoolStats> {
  if (predicate(target.stats)) return Promise.resolve(target.stats);
  return new Promise((resolve) => {
    const listener = (stats: PoolStats): void => {
      if (!predicate(stats)) return;
      target.off('stats', listener);
      resolve(stats);
    };
    target.on('stats', listener);
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
  expect(await labelledContainers()).toEqual([]);
});

describe('options', () => {
  it.each([
    [{ max: 0 }, 'max'],
    [{ min: 3, max: 2 }, 'min'],
    [{ min: -1 }, 'min'],
    [{ maxWaiting: 1.5 }, 'maxWaiting'],
    [{ idleTimeoutMs: 0 }, 'idleTimeoutMs'],
    [{ acquireTimeoutMs: Number.NaN }, 'acquireTimeoutMs'],
    [{ policy: 'recycled' }, 'policy'],
    [{ reset: async () => {} }, 'reset'],
    [{ maximum: 3 }, 'maximum'],
    [{ runner: { memory: 'lots' } }, 'runner.memory'],
    [{ runner: { docker: {} }, endpoints: [{}] }, 'runner.docker'],
    [{ min: 3, endpoints: [{ capacity: 2 }] }, 'min'],
    [{ endpoints: [{ weight: -1 }] }, 'endpoints[0].weight'],
    [{ probeIntervalMs: 0 }, 'probeIntervalMs'],
    [{ probeTimeoutMs: 'soon' }, 'probeTimeoutMs'],
  ])('refuses %j, naming %s', (options, option) => {
    expect(() => new RunnerPool(options as RunnerPoolOptions)).toThrow(expect.objectContaining({ option }));
    expect(() => new RunnerPool(options as RunnerPoolOptions)).toThrow(InvalidArgumentError);
  });

  it('refuses bad acquire options', async () => {
    const p = pool({});
    await expect(p.acquire({ timeoutMs: -1 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT', option: 'timeoutMs' });
    expect(p.stats).toMatchObject({ starting: 0, waiting: 0 });
  });
});

describe('a warm pool', () => {
  it('hands out a started runner whose first command answers; stats follow', async () => {
    const p = pool({ min: 2, max: 3 });
    await p.start();
    expect(p.stats).toMatchObject({ idle: 2, busy: 0, starting: 0, waiting: 0, started: 2, destroyed: 0, endpoints: [{ up: true, runners: 2 }] });
    const runner = await p.acquire();
    expect(runner.isRunning).toBe(true);
    expect(p.stats).toMatchObject({ busy: 1 });
    expect(await runner.run('echo ready')).toMatchObject({ exitCode: 0, stdout: 'ready\n' });
    await p.release(runner);
    await p.release(runner); // a double release is a no-op
    expect(p.stats).toMatchObject({ busy: 0, destroyed: 1 });
    await statsWhere(p, (s) => s.idle === 2 && s.starting === 0);
    expect(p.stats).toMatchObject({ started: 3 });
  });

  it('measures acquire-to-first-result over 20 jobs (destroy and reuse)', async () => {
    const measure = async (target: RunnerPool, gapMs: number): Promise<number> => {
      await target.start();
      const times: number[] = [];
      for (let i = 0; i < 20; i++) {
        const started = performance.now();
        const out = await target.run(async (runner) => (await runner.run(`echo ${i}`)).stdout);
        times.push(performance.now() - started);
        expect(out).toBe(`${i}\n`);
        if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
      }
      return median(times);
    };
    const back = await measure(pool({ min: 2, max: 3 }), 0);
    const paced = await measure(pool({ min: 2, max: 3 }), 250);
    const reused = await measure(pool({ min: 2, max: 3, policy: 'reuse', reset: async (r) => void (await r.run('cd ~', { check: true })) }), 0);
    console.log(
      `acquire-to-first-result median over 20 jobs: destroy back-to-back ${back.toFixed(1)} ms, ` +
        `destroy with 250 ms between jobs ${paced.toFixed(1)} ms, reuse (reset: cd ~) ${reused.toFixed(1)} ms`,
    );
  });

  it('reports a start failure to the waiting caller and to start()', async () => {
    const p = pool({ min: 1, runner: { image: 'docker-shell/no-such-image:never', pull: 'never' } });
    const errors: unknown[] = [];
    p.on('error', (error) => errors.push(error));
    await expect(p.start()).rejects.toBeInstanceOf(ImageNotFoundError);
    await expect(p.acquire()).rejects.toBeInstanceOf(ImageNotFoundError);
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(p.stats).toMatchObject({ idle: 0, busy: 0, waiting: 0, started: 0 });
  });
});

describe('policies', () => {
  it("'destroy': a job's files are not visible to the next job, and containers are replaced", async () => {
    const p = pool({ min: 1, max: 1 });
    const first = await p.run(async (runner) => {
      await runner.run('echo secret > ~/left-behind && export LEFT=1', { check: true });
      return runner.id;
    });
    const second = await p.run(async (runner) => ({ id: runner.id, out: (await runner.run('cat ~/left-behind; echo "[$LEFT]"')).stdout }));
    expect(second.id).not.toBe(first);
    expect(second.out).toBe('[]\n');
    expect(p.stats).toMatchObject({ destroyed: 2, busy: 0 });
  });

  it("'reuse' with reset: the same container, its state reset", async () => {
    const resets: string[] = [];
    const p = pool({
      max: 1,
      policy: 'reuse',
      reset: async (runner) => {
        resets.push(runner.id as string);
        await runner.run('cd ~ && rm -rf ~/* ~/.[!.]* 2>/dev/null; true', { check: true });
      },
    });
    const first = await p.run(async (runner) => {
      await runner.run('echo data > ~/file && mkdir ~/dir && cd /tmp', { check: true });
      return runner.id;
    });
    const second = await p.run(async (runner) => ({ id: runner.id, out: (await runner.run('pwd; ls -A ~')).stdout }));
    expect(second).toEqual({ id: first, out: '/home/sandbox\n' });
    expect(resets).toEqual([first, first]);
    expect(p.stats).toMatchObject({ idle: 1, busy: 0, started: 1, destroyed: 0 });
  });

  it("'reuse': a runner whose reset fails, or that died in its job, is destroyed", async () => {
    const p = pool({ max: 1, policy: 'reuse', reset: async (runner) => void (await runner.run('test -e ~/ok', { check: true })) });
    const first = await p.run((runner) => runner.id); // no ~/ok: the reset fails
    const second = await p.run(async (runner) => {
      await runner.run('touch ~/ok; kill -9 $$').catch(() => {});
      return runner.id;
    });
    const third = await p.run((runner) => runner.id);
    expect(new Set([first, second, third]).size).toBe(3);
    // The third one's reset failed too (a fresh container has no ~/ok).
    expect(p.stats).toMatchObject({ started: 3, destroyed: 3, idle: 0 });
  });

  it('idle runners above min are stopped after idleTimeoutMs', async () => {
    const p = pool({ min: 0, max: 2, policy: 'reuse', idleTimeoutMs: 200 });
    await p.run((runner) => runner.run('true'));
    expect(p.stats).toMatchObject({ idle: 1 });
    await statsWhere(p, (s) => s.idle === 0 && s.destroyed === 1);
  });
});

describe('the wait queue', () => {
  it('is bounded: with max 1 and maxWaiting 1, a third acquire is refused at once', async () => {
    const p = pool({ max: 1, maxWaiting: 1 });
    const held = await p.acquire();
    const waiting = p.acquire();
    expect(p.stats).toMatchObject({ busy: 1, waiting: 1 });
    const refused = await p.acquire().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PoolQueueFullError);
    expect(refused).toMatchObject({ code: 'ERR_POOL_QUEUE_FULL', maxWaiting: 1 });
    await p.release(held);
    const next = await waiting;
    expect(next.id).not.toBe(held.id);
    expect((await next.run('echo next')).stdout).toBe('next\n');
    await p.release(next);
  });

  it('bounds concurrency by max: a burst of 8 jobs never has more than 3 runners', async () => {
    const p = pool({ max: 3 });
    let most = 0;
    p.on('stats', (s) => (most = Math.max(most, s.idle + s.busy + s.starting)));
    const outs = await Promise.all(Array.from({ length: 8 }, (_, i) => p.run(async (runner) => (await runner.run(`echo ${i}`)).stdout)));
    expect(outs).toEqual(Array.from({ length: 8 }, (_, i) => `${i}\n`));
    expect(most).toBe(3);
    expect(p.stats).toMatchObject({ busy: 0, waiting: 0, started: 8, destroyed: 8 });
  });

  it('is FIFO', async () => {
    const p = pool({ max: 1, policy: 'reuse' });
    const held = await p.acquire();
    const order: number[] = [];
    const jobs = [1, 2, 3].map((n) => p.run(() => void order.push(n)));
    await p.release(held);
    await Promise.all(jobs);
    expect(order).toEqual([1, 2, 3]);
  });

  it('lets a caller leave on its timeout or signal, and the pool moves on', async () => {
    const p = pool({ max: 1, acquireTimeoutMs: 150 });
    const held = await p.acquire({ timeoutMs: 10_000 }); // the default would include the start
    const started = performance.now();
    const timedOut = await p.acquire().catch((error: unknown) => error);
    expect(timedOut).toBeInstanceOf(PoolAcquireTimeoutError);
    expect(timedOut).toMatchObject({ code: 'ERR_POOL_ACQUIRE_TIMEOUT', timeoutMs: 150 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);

    const controller = new AbortController();
    const aborted = p.acquire({ signal: controller.signal, timeoutMs: 10_000 });
    const after = p.acquire({ timeoutMs: 10_000 });
    expect(p.stats.waiting).toBe(2);
    controller.abort(new Error('user gave up'));
    await expect(aborted).rejects.toBeInstanceOf(PoolAcquireCanceledError);
    await expect(aborted).rejects.toMatchObject({ code: 'ERR_POOL_ACQUIRE_CANCELED', cause: new Error('user gave up') });
    expect(p.stats.waiting).toBe(1);
    await expect(p.acquire({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(PoolAcquireCanceledError);

    await p.release(held);
    const next = await after;
    expect(next.isRunning).toBe(true);
    await p.release(next);
    expect(p.stats).toMatchObject({ waiting: 0, busy: 0 });
  });
});

describe('runners that die', () => {
  it('never hands out an idle runner killed from outside', async () => {
    const p = pool({ min: 2, max: 2 });
    await p.start();
    const ids = await labelledContainers();
    expect(ids).toHaveLength(2);
    const killed = ids[0] as string;
    await docker.getContainer(killed).kill();
    // At once: the pool may not have seen the death yet; it must still not hand it out.
    const handed: DockerRunner[] = [await p.acquire(), await p.acquire()];
    const seen = await Promise.all(
      handed.map(async (runner) => ({ id: runner.id, out: (await runner.run('echo alive').catch((error: unknown) => ({ stdout: String(error) }))).stdout })),
    );
    await Promise.all(handed.map((runner) => p.release(runner)));
    for (const { id, out } of seen) {
      expect(id).not.toBe(killed);
      expect(out).toBe('alive\n');
    }
    await statsWhere(p, (s) => s.idle === 2 && s.starting === 0);
    expect(p.stats).toMatchObject({ started: 5, destroyed: 3 });
  });

  it('replaces an idle runner that died, keeping min warm', async () => {
    const p = pool({ min: 1, max: 1 });
    await p.start();
    const [killed] = await labelledContainers();
    await docker.getContainer(killed as string).kill();
    await statsWhere(p, (s) => s.destroyed === 1 && s.idle === 1);
    const id = await p.run((runner) => runner.id);
    expect(id).not.toBe(killed);
  });
});

describe('close()', () => {
  it('rejects waiters, waits for busy runners, leaves no container, and is idempotent', async () => {
    const p = pool({ min: 1, max: 2, policy: 'reuse' });
    await p.start();
    const a = await p.acquire();
    const b = await p.acquire();
    const waiter = p.acquire();
    const starting = (await labelledContainers()).length;
    expect(starting).toBe(2);

    let closed = false;
    const closing = p.close().then(() => (closed = true));
    await expect(waiter).rejects.toBeInstanceOf(PoolClosedError);
    await expect(p.acquire()).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' });
    await expect(p.run(async () => 1)).rejects.toBeInstanceOf(PoolClosedError);
    await expect(p.start()).rejects.toBeInstanceOf(PoolClosedError);

    // Busy jobs finish undisturbed.
    expect((await a.run('echo still')).stdout).toBe('still\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(false);
    await p.release(a);
    await p.release(b);
    await closing;
    await p.close();
    await p[Symbol.asyncDispose]();
    expect(await labelledContainers()).toEqual([]);
    expect(p.stats).toMatchObject({ idle: 0, busy: 0, starting: 0, waiting: 0, started: 2, destroyed: 2 });
  });

  it('stops runners still starting, and drain() waits for running jobs', async () => {
    const p = pool({ max: 2 });
    const job = p.run(async (runner) => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      return (await runner.run('echo done')).stdout;
    });
    await statsWhere(p, (s) => s.busy === 1);
    let drained = false;
    const draining = p.drain().then(() => (drained = true));
    expect(drained).toBe(false);
    expect(await job).toBe('done\n');
    await draining;
    const early = p.acquire().catch((error: unknown) => error); // starts a runner...
    await p.close(); // ...which close() stops
    expect(await early).toBeInstanceOf(PoolClosedError);
    expect(await labelledContainers()).toEqual([]);
  });
});
