/**
 * DockerRunner against the real Docker engine: lifecycle, framing through Docker's attach stream,
 * and cleanup. Every test here touches the engine.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRunner } from '../../src/docker/docker-runner.js';
import { LABEL_MANAGED, LABEL_RUNNER } from '../../src/docker/labels.js';
import { DockerUnavailableError, ImageNotFoundError, SessionClosedError, StartFailedError } from '../../src/errors.js';
import { docker, labelledContainers } from '../helpers/docker.js';
import { HOSTILE_COMMANDS } from '../helpers/hostile-commands.js';

describe('a shared runner', () => {
  let runner: DockerRunner;
  beforeAll(async () => {
    runner = await DockerRunner.start();
  });
  afterAll(async () => {
    await runner.stop();
  });

  it('runs 1000 sequential commands, each returning exactly its own output', async () => {
    for (let i = 0; i < 1000; i++) {
      const result = await runner.run(`echo ${i}; echo e${i} >&2`);
      if (result.stdout !== `${i}\n` || result.stderr !== `e${i}\n` || result.exitCode !== 0) {
        expect.fail(`command ${i} came back as ${JSON.stringify(result)}`);
      }
    }
  });

  it('returns exit codes 0..255', async () => {
    const codes = Array.from({ length: 256 }, (_, code) => code);
    const results = await Promise.all(codes.map((code) => runner.run(`(exit ${code})`)));
    expect(results.map((r) => r.exitCode)).toEqual(codes);
  });

  it.each(HOSTILE_COMMANDS)('completes $name and stays usable', async (hostile) => {
    const result = await runner.run(hostile.command);
    expect(result.exitCode).toBe(hostile.exitCode);
    expect(result.stdout).toBe(hostile.stdout);
    if (hostile.stderrIncludes) expect(result.stderr).toContain(hostile.stderrIncludes);
    expect(await runner.run('echo still here')).toMatchObject({ exitCode: 0, stdout: 'still here\n', stderr: '' });
  });

  it('keeps shell state between commands', async () => {
    await runner.run('mkdir -p /tmp/state && cd /tmp/state && export A=1 && f() { echo "f:$1"; } && set -o noglob');
    expect((await runner.run('pwd; echo $A; f x; echo *')).stdout).toBe('/tmp/state\n1\nf:x\n*\n');
    await runner.run('set +o noglob; cd /');
  });

  it('gives commands end-of-file on stdin, or exactly the bytes passed', async () => {
    const [reader, next] = await Promise.all([runner.run('cat; read -r x; echo $?'), runner.run('echo next')]);
    expect(reader.stdout).toBe('1\n');
    expect(next.stdout).toBe('next\n');
    const bytes = Buffer.from([0, 0x25, 0xff, 0x0a, 0x27]);
    expect((await runner.run('od -An -tx1 | tr -d " \\n"', { stdin: bytes })).stdout).toBe('0025ff0a27');
  });

  it('streams output live through the async iterator and the session readable', async () => {
    const piped: Buffer[] = [];
    runner.output.on('data', (chunk: Buffer) => piped.push(chunk));
    const types: string[] = [];
    for await (const event of runner.stream('echo a; echo b >&2')) types.push(event.type);
    expect(types.at(-1)).toBe('result');
    expect(types.filter((t) => t === 'stdout').length).toBeGreaterThan(0);
    expect(types.filter((t) => t === 'stderr').length).toBeGreaterThan(0);
    expect(Buffer.concat(piped).toString()).toContain('a\n');
  });

  it('labels its container as docker-shell’s', async () => {
    const info = await docker.getContainer(runner.id as string).inspect();
    expect(info.Config.Labels[LABEL_MANAGED]).toBe('true');
    expect(info.Config.Labels[LABEL_RUNNER]).toMatch(/^[0-9a-f-]{36}$/);
    expect(info.HostConfig.NetworkMode).toBe('none');
    expect(info.HostConfig.LogConfig?.Type).toBe('none');
  });
});

describe('lifecycle', () => {
  it('gives each fresh runner’s first command exactly its own output (no attach leftovers)', async () => {
    for (let i = 0; i < 3; i++) {
      await using runner = await DockerRunner.start();
      expect(await runner.run('echo first')).toMatchObject({ stdout: 'first\n', stderr: '', output: 'first\n', exitCode: 0 });
    }
  });

  it('removes the container on stop, idempotently, and `await using` stops it too', async () => {
    let id: string | undefined;
    {
      await using runner = await DockerRunner.start();
      id = runner.id;
      expect(await labelledContainers()).toContain(id);
    }
    expect(await labelledContainers()).not.toContain(id);

    const runner = await DockerRunner.start();
    await Promise.all([runner.stop(), runner.stop()]);
    await runner.stop();
    expect(await labelledContainers()).not.toContain(runner.id);
    await expect(runner.run('true')).rejects.toMatchObject({ code: 'ERR_SESSION_CLOSED', reason: 'stopped' });
  });

  it('close() finishes queued commands, then bash exits on end of input (stdin half-closed)', async () => {
    const runner = await DockerRunner.start();
    const queued = [runner.run('sleep 0.2; echo one'), runner.run('echo two')];
    await runner.close();
    expect((await queued[0])?.stdout).toBe('one\n');
    expect((await queued[1])?.stdout).toBe('two\n');
    // Exit status 0 and no signal: bash ended by itself on end of input, not by a kill.
    expect(await runner.closed).toMatchObject({ reason: 'shell-exited', exitCode: 0 });
    expect(await labelledContainers()).not.toContain(runner.id);
  });

  it('starts on the first run() when start() was not called', async () => {
    await using runner = new DockerRunner();
    expect(runner.id).toBeUndefined();
    expect((await runner.run('echo lazy')).stdout).toBe('lazy\n');
    expect(runner.id).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rejects running and queued commands with the reason when the container is killed from outside', async () => {
    await using runner = await DockerRunner.start();
    // Handlers attached at once: both reject while the kill call is still returning.
    const running = runner.run('echo before; sleep 60').catch((e: unknown) => e);
    const queued = runner.run('echo never').catch((e: unknown) => e);
    await expect
      .poll(async () => (await docker.getContainer(runner.id as string).top()).Processes.some((p: string[]) => p.at(-1)?.includes('sleep 60')))
      .toBe(true);
    await docker.getContainer(runner.id as string).kill();
    const error = await running;
    expect(error).toBeInstanceOf(SessionClosedError);
    expect(error).toMatchObject({ reason: 'shell-killed', exitCode: 137, signal: 'SIGKILL', stdout: 'before\n' });
    expect(await queued).toMatchObject({ reason: 'shell-killed' });
  });

  it('says the shell exited, with its status, after `exit 3`', async () => {
    await using runner = await DockerRunner.start();
    await expect(runner.run('exit 3')).rejects.toMatchObject({ reason: 'shell-exited', exitCode: 3 });
  });
});

describe('start failures leave nothing behind', () => {
  const noBashImage = 'docker-shell-test/no-bash:latest';
  beforeAll(() => {
    // An image with a file in it but no shell: creating the container works, starting bash cannot.
    const dir = mkdtempSync(join(tmpdir(), 'ds-nobash-'));
    writeFileSync(join(dir, 'README'), 'no shell here\n');
    execFileSync('sh', ['-c', `tar -C "${dir}" -c . | docker import - ${noBashImage}`]);
    rmSync(dir, { recursive: true });
  });
  afterAll(async () => {
    await docker.getImage(noBashImage).remove({ force: true });
  });

  it('removes the container when bash cannot start, with a typed error', async () => {
    const error = await DockerRunner.start({ image: noBashImage }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StartFailedError);
    expect((error as StartFailedError).image).toBe(noBashImage);
    // "did not start" is said only after the container was created: cleanup had something to do.
    expect((error as Error).message).toMatch(/did not start.*bash/s);
    expect(await labelledContainers(noBashImage)).toEqual([]);
  });

  it('names a missing image that cannot be pulled', async () => {
    const image = 'docker-shell-test/does-not-exist:never';
    const error = await DockerRunner.start({ image }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageNotFoundError);
    expect((error as ImageNotFoundError).image).toBe(image);
    expect((error as Error).message).toContain(image);
    const never = await DockerRunner.start({ image, pull: 'never' }).catch((e: unknown) => e);
    expect(never).toBeInstanceOf(ImageNotFoundError);
  });

  it('connects through DOCKER_HOST, or the socket path given as an option', async () => {
    const saved = process.env.DOCKER_HOST;
    try {
      process.env.DOCKER_HOST = 'unix:///var/run/docker.sock';
      await using viaEnv = await DockerRunner.start();
      expect((await viaEnv.run('echo env')).stdout).toBe('env\n');
      process.env.DOCKER_HOST = 'tcp://127.0.0.1:1';
      await expect(DockerRunner.start()).rejects.toBeInstanceOf(DockerUnavailableError);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
    await using viaOption = await DockerRunner.start({ docker: { socketPath: '/var/run/docker.sock' } });
    expect((await viaOption.run('echo option')).stdout).toBe('option\n');
  });

  it('says when no engine answers, and what to do', async () => {
    const error = await DockerRunner.start({ docker: { socketPath: '/nonexistent/docker.sock' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DockerUnavailableError);
    expect((error as Error).message).toMatch(/unix:\/\/\/nonexistent\/docker\.sock.*DOCKER_HOST/s);
  });
});
