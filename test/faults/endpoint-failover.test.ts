/**
 * A RunnerPool over two real Docker engines: the main one and a second daemon on a loopback TCP
 * port (scripts/second-docker.sh), which the tests stop or freeze mid-job. Jobs on the lost engine
 * fail with typed errors, it leaves the rotation, the other engine serves on, and it comes back.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DockerRunner } from '../../src/docker/docker-runner.js';
import { PoolUnavailableError, SessionClosedError, DockerUnavailableError } from '../../src/errors.js';
import { RunnerPool, type RunnerPoolOptions } from '../../src/index.js';
import type { EndpointStatus } from '../../src/pool/endpoints.js';
import { containersLabelled } from '../helpers/docker.js';
import { freezeSecondDaemon, second, secondDaemon, secondDocker } from '../helpers/second-docker.js';

const TEST_LABEL = 'dev.docker-shell.test-failover';
const pools: RunnerPool[] = [];

/** Fast probing, so a lost engine is noticed within about two seconds. */
function pool(options: RunnerPoolOptions): RunnerPool {
  const made = new RunnerPool({ probeIntervalMs: 300, probeTimeoutMs: 700, ...options, runner: { labels: { [TEST_LABEL]: 'true' } } });
  made.on('error', () => {}); // removals on a stopped engine fail; the failover is what is checked
  pools.push(made);
  return made;
}

const bothEngines = (capacity: number): RunnerPoolOptions['endpoints'] => [
  { name: 'main', capacity },
  { name: 'second', docker: second, capacity },
];

/** Resolves with the next 'endpoint' event for `name` that says `up`. */
function endpointEvent(target: RunnerPool, name: string, up: boolean): Promise<EndpointStatus> {
  return new Promise((resolve) => {
    const listener = (status: EndpointStatus): void => {
      if (status.name !== name || status.up !== up) return;
      target.off('endpoint', listener);
      resolve(status);
    };
    target.on('endpoint', listener);
  });
}

async function onSecond(): Promise<string[]> {
  const list = await secondDocker.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=true`] } });
  return list.map((c) => c.Id);
}

beforeAll(() => secondDaemon('start'), 180_000);

afterEach(async () => {
  freezeSecondDaemon(false);
  secondDaemon('start');
  await Promise.all(pools.splice(0).map((p) => p.close()));
  expect(await containersLabelled(TEST_LABEL)).toEqual([]);
}, 180_000);

afterAll(() => secondDaemon('stop'), 60_000);

describe('a pool over two Docker engines', () => {
  it("spreads warm runners over both, within each one's capacity", async () => {
    const p = pool({ endpoints: bothEngines(2), min: 4 });
    await p.start();
    expect(p.stats.endpoints).toEqual([
      { name: 'main', up: true, runners: 2, capacity: 2, weight: 1 },
      { name: 'second', up: true, runners: 2, capacity: 2, weight: 1 },
    ]);
    expect(await onSecond()).toHaveLength(2);
    expect(await containersLabelled(TEST_LABEL)).toHaveLength(2);
    const places = await Promise.all([1, 2, 3, 4].map(() => p.acquire()));
    expect(places.map((runner) => p.endpointOf(runner)).sort()).toEqual(['main', 'main', 'second', 'second']);
    await Promise.all(places.map((runner) => p.release(runner)));
  });

  it('starts warm on the engines that answer; refuses to start when they cannot hold min', async () => {
    secondDaemon('stop');
    const p = pool({ endpoints: bothEngines(2), min: 2 });
    await p.start();
    expect(p.stats.endpoints).toEqual([
      { name: 'main', up: true, runners: 2, capacity: 2, weight: 1 },
      { name: 'second', up: false, runners: 0, capacity: 2, weight: 1, error: expect.any(DockerUnavailableError) },
    ]);
    const tooMany = pool({ endpoints: bothEngines(2), min: 3 });
    const error = await tooMany.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoolUnavailableError);
    expect((error as PoolUnavailableError).endpoints[1]).toEqual({ name: 'second', error: expect.any(DockerUnavailableError) });
  });

  it('fails the jobs of an engine stopped mid-job with SessionClosedError, serves on from the other, and takes it back', async () => {
    const p = pool({ endpoints: bothEngines(2), min: 4 });
    await p.start();
    const runners = await Promise.all([1, 2, 3, 4].map(() => p.acquire()));
    const on = (name: string): DockerRunner[] => runners.filter((runner) => p.endpointOf(runner) === name);
    const sleeping = on('second').map((runner) => runner.run('sleep 120').catch((error: unknown) => error));
    await expect
      .poll(async () =>
        (await Promise.all(on('second').map(async (r) => (await secondDocker.getContainer(r.id as string).top()).Processes.length))).every((n) => n > 2),
      )
      .toBe(true);
    const down = endpointEvent(p, 'second', false);

    secondDaemon('stop');

    for (const error of await Promise.all(sleeping)) {
      expect(error).toBeInstanceOf(SessionClosedError);
      expect((error as SessionClosedError).command).toBe('sleep 120');
    }
    expect((await down).error).toBeInstanceOf(DockerUnavailableError);
    expect(p.stats.endpoints[1]).toMatchObject({ name: 'second', up: false });
    // The main engine's runners never noticed.
    for (const runner of on('main')) expect((await runner.run('echo still here')).stdout).toBe('still here\n');
    await Promise.all(runners.map((runner) => p.release(runner)));
    // New jobs go to the main engine only, while the second is out.
    const served = await Promise.all([1, 2, 3].map(() => p.run(async (runner) => p.endpointOf(runner))));
    expect(served).toEqual(['main', 'main', 'main']);

    const up = endpointEvent(p, 'second', true);
    secondDaemon('start');
    expect((await up).up).toBe(true);
    const both = await Promise.all([1, 2, 3, 4].map(() => p.acquire()));
    expect(both.map((runner) => p.endpointOf(runner)).sort()).toEqual(['main', 'main', 'second', 'second']);
    for (const runner of both) expect((await runner.run('echo back')).stdout).toBe('back\n');
    await Promise.all(both.map((runner) => p.release(runner)));
  }, 180_000);

  it('fails the running job of an engine that freezes (no answer, port open) instead of letting it hang', async () => {
    const p = pool({ endpoints: [{ name: 'second', docker: second, capacity: 1 }] });
    const runner = await p.acquire();
    const sleeping = runner.run('sleep 120').catch((error: unknown) => error);
    await expect.poll(async () => (await secondDocker.getContainer(runner.id as string).top()).Processes.length).toBeGreaterThan(2);
    const down = endpointEvent(p, 'second', false);

    freezeSecondDaemon(true);

    const error = await sleeping;
    expect(error).toBeInstanceOf(SessionClosedError);
    expect(error).toMatchObject({ reason: 'transport-error', command: 'sleep 120' });
    expect((error as SessionClosedError).detail).toMatch(/the Docker endpoint second stopped answering \(.*no answer to a ping within 700 ms/);
    expect((await down).up).toBe(false);
    await expect(p.acquire()).rejects.toBeInstanceOf(PoolUnavailableError);
    void p.release(runner);

    const up = endpointEvent(p, 'second', true);
    freezeSecondDaemon(false);
    await up;
    expect((await p.run((r) => r.run('echo thawed'))).stdout).toBe('thawed\n');
  }, 120_000);

  it('with every engine out, refuses new callers and fails waiting ones with PoolUnavailableError at once', async () => {
    const p = pool({ endpoints: [{ name: 'second', docker: second, capacity: 1 }] });
    const runner = await p.acquire();
    const running = runner.run('sleep 120').catch((error: unknown) => error);
    const waiting = p.acquire().catch((error: unknown) => error);
    await expect.poll(() => p.stats.waiting).toBe(1);

    secondDaemon('stop');

    expect(await running).toBeInstanceOf(SessionClosedError);
    const refused = await waiting;
    expect(refused).toBeInstanceOf(PoolUnavailableError);
    expect((refused as PoolUnavailableError).endpoints).toEqual([{ name: 'second', error: expect.any(DockerUnavailableError) }]);
    expect((refused as Error).message).toContain('No Docker endpoint of the runner pool answers (second:');
    await expect(p.acquire()).rejects.toBeInstanceOf(PoolUnavailableError);
    await expect(p.run(async () => 'never')).rejects.toBeInstanceOf(PoolUnavailableError);
    expect(p.stats).toMatchObject({ waiting: 0, busy: 1 });
    await p.release(runner);
  }, 120_000);
});
