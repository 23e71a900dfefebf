/**
 * runner.spawn() against the real Docker engine: background processes beside the session, their
 * streams, stdin, kill of whole trees, and their end with the runner.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRunner } from '../../src/docker/docker-runner.js';
import { CommandCanceledError, InvalidArgumentError, SessionClosedError, SpawnFailedError } from '../../src/errors.js';
import { containerExists } from '../helpers/docker.js';

/** Polls the session until `check` holds for `command`'s stdout; fails after `attempts`. */
async function until(runner: DockerRunner, command: string, check: (stdout: string) => boolean, attempts = 200): Promise<string> {
  let stdout = '';
  for (let i = 0; i < attempts; i++) {
    stdout = (await runner.run(command)).stdout;
    if (check(stdout)) return stdout;
  }
  throw new Error(`\`${command}\` never answered as expected; last: ${JSON.stringify(stdout)}`);
}

/** The command lines of the sandbox's processes, seen from the session. */
async function commandLines(runner: DockerRunner): Promise<string[]> {
  return (await runner.run('for f in /proc/[0-9]*/cmdline; do tr "\\0" " " < "$f" 2>/dev/null; echo; done')).stdout.split('\n');
}

describe('spawn() on a shared runner', () => {
  let runner: DockerRunner;
  beforeAll(async () => {
    runner = await DockerRunner.start();
  });
  afterAll(async () => {
    await runner.stop();
  });

  it('runs a command in the background and reports its exit, output and pid (the pid line is not output)', async () => {
    const proc = await runner.spawn('echo out; echo err >&2; exit 3');
    expect(proc.pid).toBeGreaterThan(1);
    const result = await proc.wait();
    expect(result).toMatchObject({ exitCode: 3, signal: null, stdout: 'out\n', stderr: 'err\n', timedOut: false, canceled: false, truncated: false });
    expect(result.pid).toBe(proc.pid);
    expect(proc.exitCode).toBe(3);
    expect(proc.isRunning).toBe(false);
  });

  it('has exitCode null while it runs, and lists it in processes() until it ends', async () => {
    const first = await runner.spawn('sleep 300');
    const second = await runner.spawn('sleep 301');
    expect(first.exitCode).toBeNull();
    expect(runner.processes()).toEqual(expect.arrayContaining([first, second]));
    expect(await first.kill('SIGKILL')).toBe(true);
    await first.wait();
    expect(runner.processes()).not.toContain(first);
    expect(runner.processes()).toContain(second);
    await second.kill();
    expect((await second.wait()).signal).toBe('SIGTERM');
    expect(runner.processes()).not.toContain(second);
  });

  it('streams stdout live and takes stdin writes, with end() giving end-of-file', async () => {
    const proc = await runner.spawn('while read -r line; do echo "got $line"; done; echo eof');
    const lines: string[] = [];
    let buffered = '';
    const nextLine = () =>
      new Promise<string>((resolve) => {
        const take = () => {
          const newline = buffered.indexOf('\n');
          if (newline < 0) return false;
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          resolve(line);
          return true;
        };
        if (take()) return;
        const onData = (chunk: Buffer) => {
          buffered += chunk.toString();
          if (take()) proc.stdout.off('data', onData);
        };
        proc.stdout.on('data', onData);
      });
    for (const word of ['one', 'two', 'three']) {
      proc.stdin.write(`${word}\n`);
      lines.push(await nextLine()); // answered before stdin ends: it is live both ways
    }
    expect(lines).toEqual(['got one', 'got two', 'got three']);
    proc.stdin.end();
    expect(await nextLine()).toBe('eof');
    expect((await proc.wait()).exitCode).toBe(0);
  });

  it('feeds the stdin option and closes it', async () => {
    const bytes = Buffer.from([0, 0x25, 0xff, 0x0a]);
    const result = await (await runner.spawn('od -An -tx1 | tr -d " \\n"', { stdin: bytes })).wait();
    expect(result.stdout).toBe('0025ff0a');
  });

  it('keeps run() answering correctly while a spawned process floods output and another waits on stdin', async () => {
    const flood = await runner.spawn('exec yes flood-flood-flood-flood');
    let flooded = 0;
    flood.stdout.on('data', (chunk: Buffer) => (flooded += chunk.length));
    const waiting = await runner.spawn('cat');
    for (let i = 0; i < 50; i++) {
      const result = await runner.run(`echo ${i}; echo e${i} >&2`);
      if (result.stdout !== `${i}\n` || result.stderr !== `e${i}\n`) expect.fail(`command ${i} came back as ${JSON.stringify(result)}`);
    }
    expect(flooded).toBeGreaterThan(0);
    expect(waiting.isRunning).toBe(true);
    await flood.kill();
    waiting.stdin.end('bye\n');
    expect((await waiting.wait()).stdout).toBe('bye\n');
    expect((await flood.wait()).signal).toBe('SIGTERM');
  });

  it('pauses a process nobody reads (backpressure), then drains it into wait() within maxOutputBytes', async () => {
    const proc = await runner.spawn('exec head -c 50000000 /dev/zero', { maxOutputBytes: 1024 * 1024 });
    // Blocked in a pipe write: the connection is paused, not buffering 50 MB on the host.
    await until(runner, `cat /proc/${proc.pid}/wchan`, (wchan) => /pipe_write/.test(wchan));
    expect(proc.isRunning).toBe(true);
    expect(proc.stdout.readableLength).toBeLessThan(1024 * 1024);
    const result = await proc.wait();
    expect(result).toMatchObject({ exitCode: 0, truncated: true });
    expect(result.droppedBytes + 1024 * 1024).toBe(50_000_000);
  });

  it('kill() ends the whole tree: background, setsid-ed, double-forked and env-cleared children', async () => {
    const proc = await runner.spawn('sleep 1001 & (setsid sleep 1002 &); (env -i sleep 1003 &); sleep 1000');
    await until(runner, 'cat /proc/[0-9]*/cmdline | tr "\\0" " "', (text) => ['1000', '1001', '1002', '1003'].every((n) => text.includes(`sleep ${n}`)));
    expect(await proc.kill()).toBe(true);
    await proc.wait();
    expect((await commandLines(runner)).filter((line) => /sleep 100[0-3]/.test(line))).toEqual([]);
    expect(await proc.kill()).toBe(false); // ended: a no-op
  });

  it('is spared when a session command that began before it times out (it carries a tag of its own)', async () => {
    // The session's kill takes untagged processes that started after the timed-out command began
    // (give or take the kill's own exec latency) for the command's subshells. `sleep 1010` starts
    // 1.5 s into the command, well inside that window: only its tag spares it.
    let startedAt = Infinity;
    const running = runner.run('sleep 1011', { timeoutMs: 4000 }).then((result) => ({ result, endedAt: performance.now() }));
    const proc = await runner.spawn('sleep 1.5; echo started; sleep 1010; :', { onStdout: () => (startedAt = performance.now()) });
    const { result, endedAt } = await running;
    expect(result.timedOut).toBe(true);
    expect(startedAt).toBeLessThan(endedAt); // it was there when the kill ran
    const lines = await commandLines(runner);
    expect(lines.some((line) => line.includes('sleep 1010'))).toBe(true);
    expect(lines.some((line) => line.includes('sleep 1011'))).toBe(false);
    expect(proc.isRunning).toBe(true);
    await proc.kill('SIGKILL');
    expect((await proc.wait()).signal).toBe('SIGKILL');
  });

  it("starts from the sandbox's defaults, not the session's cwd and variables", async () => {
    await runner.run('cd /tmp && export SESSION_VAR=1');
    const result = await (await runner.spawn('pwd; echo "${SESSION_VAR-unset}"; echo "$HOME"; id -u')).wait();
    expect(result.stdout).toBe('/home/sandbox\nunset\n/home/sandbox\n65534\n');
    await runner.run('cd ~');
  });

  it('takes cwd (relative to the workdir), env and user', async () => {
    await runner.run('mkdir -p sub');
    const result = await (await runner.spawn('pwd; echo "$GREETING"; id -u', { cwd: 'sub', env: { GREETING: 'hi there' }, user: 'root' })).wait();
    expect(result.stdout).toBe('/home/sandbox/sub\nhi there\n0\n');
  });

  it('kills the tree on timeoutMs and on its signal, and says so', async () => {
    const timed = await (await runner.spawn('sleep 1020', { timeoutMs: 300 })).wait();
    expect(timed).toMatchObject({ timedOut: true, canceled: false, signal: 'SIGKILL', exitCode: 137 });
    const controller = new AbortController();
    const proc = await runner.spawn('sleep 1021', { signal: controller.signal });
    controller.abort();
    expect(await proc.wait()).toMatchObject({ timedOut: false, canceled: true, signal: 'SIGKILL' });
    await expect(runner.spawn('true', { signal: controller.signal })).rejects.toBeInstanceOf(CommandCanceledError);
  });

  it('rejects a missing cwd with SpawnFailedError, and bad options with InvalidArgumentError', async () => {
    const error = await runner.spawn('true', { cwd: '/no/such/dir' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpawnFailedError);
    expect((error as SpawnFailedError).detail).toMatch(/no such file or directory/);
    await expect(runner.spawn('true', { timeout: 5 } as never)).rejects.toMatchObject({ option: 'timeout' });
    await expect(runner.spawn('')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(runner.spawn('true', { env: { 'A-B': 'x' } })).rejects.toBeInstanceOf(InvalidArgumentError);
    const proc = await runner.spawn('true');
    await expect(proc.kill('SIGNOPE' as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    await proc.wait();
  });
});

describe('spawn() and the runner’s end', () => {
  it('stop() ends every spawned process, nothing of them outlives the runner, and spawn after stop is a typed error', async () => {
    const runner = await DockerRunner.start();
    const id = runner.id as string;
    const procs = await Promise.all([runner.spawn('sleep 2000'), runner.spawn('exec yes'), runner.spawn('cat')]);
    await runner.stop();
    const results = await Promise.all(procs.map((proc) => proc.wait()));
    expect(results.map((r) => [r.exitCode, r.signal])).toEqual(procs.map(() => [null, 'SIGKILL']));
    expect(runner.processes()).toEqual([]);
    expect(await containerExists(id)).toBe(false);
    await expect(runner.spawn('true')).rejects.toBeInstanceOf(SessionClosedError);
    expect(await procs[0]?.kill()).toBe(false);
  });
});
