/**
 * The Docker daemon goes away under a running command and comes back. This test stops and starts
 * the real dockerd, so it needs root (CI is root) and runs in a file of its own (files run one at
 * a time).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DockerRunner } from '../../src/docker/docker-runner.js';
import { SessionClosedError } from '../../src/errors.js';
import { docker } from '../helpers/docker.js';

const root = new URL('../..', import.meta.url).pathname;
const dockerdRunning = (): boolean => {
  try {
    execFileSync('pgrep', ['-x', 'dockerd']);
    return true;
  } catch {
    return false;
  }
};

describe('a restarted Docker daemon', () => {
  it('rejects the running and queued commands with the reason, and a fresh runner starts after', async () => {
    expect(process.getuid?.(), 'restarting dockerd needs root').toBe(0);
    const runner = await DockerRunner.start();
    const running = runner.run('sleep 60').catch((e: unknown) => e);
    const queued = runner.run('echo never').catch((e: unknown) => e);
    await expect.poll(async () => (await docker.getContainer(runner.id as string).top()).Processes.length).toBeGreaterThan(2);

    execFileSync('pkill', ['-TERM', '-x', 'dockerd']);
    const error = await running;
    expect(error).toBeInstanceOf(SessionClosedError);
    // The daemon stops its containers as it shuts down (bash gets SIGTERM), or the connection
    // drops first: either way the error says which.
    expect(['shell-killed', 'transport-error']).toContain((error as SessionClosedError).reason);
    expect((error as Error).message).toMatch(/SIGTERM|Docker engine|connection/);
    expect(await queued).toBeInstanceOf(SessionClosedError);

    await expect.poll(dockerdRunning, { timeout: 30_000, interval: 200 }).toBe(false);
    execFileSync('bash', ['scripts/ensure-docker.sh'], { cwd: root, stdio: 'ignore' });
    await runner.stop();
    await using fresh = await DockerRunner.start();
    expect((await fresh.run('echo back')).stdout).toBe('back\n');
  }, 120_000);
});
