/**
 * runner.pause() / resume() against the real Docker engine: nothing in the sandbox runs while
 * paused (its clock-stamped work and its CPU time stop), calls made meanwhile wait and complete after
 * the resume, timeouts do not count paused time, stop() and close() work while paused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { DockerRunner, type DockerRunnerOptions } from '../../src/docker/docker-runner.js';
import { pauseStateOf } from '../../src/docker/pause/pause-state.js';
import { SessionClosedError } from '../../src/errors.js';
import { containerExists, docker } from '../helpers/docker.js';

const runners: DockerRunner[] = [];
afterEach(async () => {
  await Promise.all(runners.splice(0).map((runner) => runner.stop()));
});

async function startRunner(options: DockerRunnerOptions = {}): Promise<DockerRunner> {
  const runner = new DockerRunner(options);
  runners.push(runner);
  return runner.start();
}

/** How long the tests keep a sandbox paused: the length of the pause is what is under test. */
const PAUSE_MS = 1500;

/** Tells whether `promise` has settled, without waiting for it. */
function tracked<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  return { promise, settled: () => settled };
}

async function cpuNanoseconds(id: string): Promise<number> {
  const stats = (await docker.getContainer(id).stats({ stream: false })) as { cpu_stats: { cpu_usage: { total_usage: number } } };
  return stats.cpu_stats.cpu_usage.total_usage;
}

describe('pause()', () => {
  it('stops everything in the sandbox: a background loop stamping the time writes nothing while paused', async () => {
    const runner = await startRunner();
    await runner.run('(while :; do date +%s%3N >> ticks; sleep 0.02; done) >/dev/null 2>&1 &');
    await runner.run('until [ -s ticks ]; do sleep 0.02; done');
    await runner.pause();
    const pausedAt = Date.now();
    expect(await pauseStateOf(docker.getContainer(runner.id as string))).toBe(true);
    await sleep(PAUSE_MS);
    const resumedAt = Date.now();
    await runner.resume();
    await runner.run(`until [ "$(tail -n 1 ticks)" -gt ${resumedAt} ]; do sleep 0.02; done`);
    const ticks = (await runner.run('cat ticks')).stdout.trim().split('\n').map(Number);
    // The stamp taken just as the freezer acted may land a little after pause() resolved; none in the middle.
    const during = ticks.filter((tick) => tick > pausedAt + 100 && tick < resumedAt);
    expect(during).toEqual([]);
    expect(ticks.filter((tick) => tick >= resumedAt).length).toBeGreaterThan(0);
    const gaps = ticks.slice(1).map((tick, index) => tick - (ticks[index] as number));
    expect(Math.max(...gaps)).toBeGreaterThan(PAUSE_MS - 200);
  });

  it('stops the CPU time of a busy loop', async () => {
    const runner = await startRunner();
    await runner.run('(while :; do :; done) >/dev/null 2>&1 &');
    const id = runner.id as string;
    const runningFrom = await cpuNanoseconds(id);
    await sleep(500);
    const running = (await cpuNanoseconds(id)) - runningFrom;
    await runner.pause();
    const pausedFrom = await cpuNanoseconds(id);
    await sleep(500);
    const paused = (await cpuNanoseconds(id)) - pausedFrom;
    await runner.resume();
    expect(running).toBeGreaterThan(200e6); // a busy core for 500 ms
    expect(paused).toBeLessThan(running / 50);
  });

  it('is idempotent, and isPaused follows the engine', async () => {
    const runner = await startRunner();
    const container = docker.getContainer(runner.id as string);
    expect(runner.isPaused).toBe(false);
    await Promise.all([runner.pause(), runner.pause()]);
    await runner.pause();
    expect(runner.isPaused).toBe(true);
    expect(await pauseStateOf(container)).toBe(true);
    await runner.resume();
    await runner.resume();
    expect(runner.isPaused).toBe(false);
    // The engine's flag may lag the thaw by some milliseconds (see SandboxFreezer); the shell answering cannot.
    expect((await runner.run('echo still here')).stdout).toBe('still here\n');
  });

  it('rejects with SessionClosedError once the runner was stopped, and so does resume()', async () => {
    const runner = await startRunner();
    await runner.stop();
    await expect(runner.pause()).rejects.toBeInstanceOf(SessionClosedError);
    await expect(runner.resume()).rejects.toBeInstanceOf(SessionClosedError);
    expect(runner.isPaused).toBe(false);
  });
});

describe('while paused', () => {
  it('run() waits in the shell and completes after resume()', async () => {
    const runner = await startRunner();
    await runner.run('cd /tmp && X=kept');
    await runner.pause();
    const queued = tracked(runner.run('echo "$PWD $X"'));
    const second = tracked(runner.run('echo second'));
    await sleep(PAUSE_MS);
    expect(queued.settled() || second.settled()).toBe(false);
    await runner.resume();
    expect((await queued.promise).stdout).toBe('/tmp kept\n');
    expect((await second.promise).stdout).toBe('second\n');
  });

  it('does not count paused time against a timeout: 600 ms of work in a 1000 ms timeout completes across a 1500 ms pause', async () => {
    const runner = await startRunner();
    const events = runner.stream('echo started; sleep 0.6; echo done', { timeoutMs: 1000 });
    await events.next(); // the command runs
    await runner.pause();
    await sleep(PAUSE_MS);
    await runner.resume();
    let result;
    for await (const event of events) if (event.type === 'result') result = event.result;
    expect(result).toMatchObject({ timedOut: false, exitCode: 0, stdout: 'started\ndone\n' });
  });

  it('still times out a command that needs more than its timeout, after the resume', async () => {
    const runner = await startRunner();
    const events = runner.stream('echo started; sleep 30; echo never', { timeoutMs: 1000 });
    await events.next();
    await runner.pause();
    await sleep(PAUSE_MS);
    await runner.resume();
    let result;
    for await (const event of events) if (event.type === 'result') result = event.result;
    expect(result).toMatchObject({ timedOut: true, stdout: 'started\n' });
    expect((await runner.run('echo alive')).stdout).toBe('alive\n');
  });

  it('does not count paused time against a spawned process timeout', async () => {
    const runner = await startRunner();
    const proc = await runner.spawn('echo started; sleep 0.6', { timeoutMs: 1000 });
    await new Promise((resolve) => proc.stdout.once('data', resolve));
    await runner.pause();
    await sleep(PAUSE_MS);
    await runner.resume();
    expect(await proc.wait()).toMatchObject({ timedOut: false, exitCode: 0 });
  });

  it('spawn, pty, openShell, forwardPort and file transfers wait for the resume, then complete', async () => {
    const runner = await startRunner();
    await runner.run('echo content > present.txt');
    await runner.pause();
    const calls = {
      spawn: tracked(runner.spawn('echo spawned').then((proc) => proc.wait())),
      pty: tracked(runner.pty({ command: 'exit 3' }).then((pty) => pty.wait())),
      shell: tracked(runner.openShell().then((shell) => shell.run('echo from-shell'))),
      forward: tracked(runner.forwardPort(8080)),
      putFile: tracked(runner.putFile('put.txt', Buffer.from('put\n'))),
      getFile: tracked(runner.getFile('present.txt')),
    };
    await sleep(PAUSE_MS);
    expect(Object.entries(calls).filter(([, call]) => call.settled())).toEqual([]);
    await runner.resume();
    expect((await calls.spawn.promise).stdout).toBe('spawned\n');
    expect(await calls.pty.promise).toBe(3);
    expect((await calls.shell.promise).stdout).toBe('from-shell\n');
    await (await calls.forward.promise).close();
    await calls.putFile.promise;
    expect((await calls.getFile.promise).toString()).toBe('content\n');
    expect((await runner.run('cat put.txt')).stdout).toBe('put\n');
  });

  it('stop() ends it at once: waiting calls reject with SessionClosedError and the container is removed', async () => {
    const runner = await startRunner();
    const id = runner.id as string;
    await runner.pause();
    const outcomes = Promise.allSettled([runner.run('echo never'), runner.spawn('echo never'), runner.getFile('/etc/hostname')]);
    await runner.stop();
    for (const outcome of await outcomes) {
      expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'ERR_SESSION_CLOSED', reason: 'stopped' } });
    }
    expect(await containerExists(id)).toBe(false);
    expect(runner.isPaused).toBe(false);
  });

  it('close() resumes, lets the queued commands finish, and removes the container', async () => {
    const runner = await startRunner();
    const id = runner.id as string;
    await runner.pause();
    const queued = runner.run('echo finished');
    await runner.close();
    expect((await queued).stdout).toBe('finished\n');
    expect(await containerExists(id)).toBe(false);
  });
});

describe('pauseStateOf()', () => {
  it('tells a container paused from outside the runner', async () => {
    const runner = await startRunner();
    const container = docker.getContainer(runner.id as string);
    await container.pause();
    expect(await pauseStateOf(container)).toBe(true);
    await container.unpause();
    expect(await pauseStateOf(container)).toBe(false);
  });
});
