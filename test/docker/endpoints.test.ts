/**
 * A runner on another Docker endpoint: a second daemon on this machine, listening on a loopback
 * TCP port (scripts/second-docker.sh), reached by options or DOCKER_HOST, and stopped under a
 * running command. Needs root to start the daemon (CI is root).
 */
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRunner } from '../../src/docker/docker-runner.js';
import { SessionClosedError } from '../../src/errors.js';
import { SECOND_PORT as PORT, second, secondDaemon as script } from '../helpers/second-docker.js';

beforeAll(() => script('start'), 120_000);
afterAll(() => script('stop'), 60_000);

describe('a second Docker daemon on a loopback TCP port', () => {
  it('runs a session there, given as connection options, and not on the main engine', async () => {
    await using runner = await DockerRunner.start({ docker: second });
    expect((await runner.run('echo over tcp')).stdout).toBe('over tcp\n');
    const there = await new Dockerode(second).getContainer(runner.id as string).inspect();
    expect(there.State.Running).toBe(true);
    await expect(new Dockerode().getContainer(runner.id as string).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('is reached through DOCKER_HOST', async () => {
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `tcp://127.0.0.1:${PORT}`;
    try {
      await using runner = await DockerRunner.start();
      expect((await runner.run('echo via env')).stdout).toBe('via env\n');
      expect((await new Dockerode(second).getContainer(runner.id as string).inspect()).Id).toBe(runner.id);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });

  it('rejects the running and queued commands with a typed error when that daemon goes away', async () => {
    const runner = await DockerRunner.start({ docker: second });
    const running = runner.run('sleep 60').catch((e: unknown) => e);
    const queued = runner.run('echo never').catch((e: unknown) => e);
    await expect.poll(async () => (await new Dockerode(second).getContainer(runner.id as string).top()).Processes.length).toBeGreaterThan(2);
    script('stop');
    const error = await running;
    expect(error).toBeInstanceOf(SessionClosedError);
    expect(['shell-killed', 'transport-error']).toContain((error as SessionClosedError).reason);
    expect(await queued).toBeInstanceOf(SessionClosedError);
    await runner.stop().catch(() => {});
  }, 90_000);
});
