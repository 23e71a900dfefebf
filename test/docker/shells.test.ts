/**
 * runner.openShell() against the real Docker engine: shells of one sandbox are independent sessions
 * over the same files, run at the same time, end on their own or with the runner, and a timeout in
 * one kills nothing of another.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DockerRunner } from '../../src/docker/docker-runner.js';
import type { SandboxShell } from '../../src/docker/shells/sandbox-shell.js';
import { InvalidArgumentError, SessionClosedError, ShellLimitError } from '../../src/errors.js';

const runners: DockerRunner[] = [];
afterEach(async () => {
  await Promise.all(runners.splice(0).map((runner) => runner.stop()));
});

async function startRunner(options: ConstructorParameters<typeof DockerRunner>[0] = {}): Promise<DockerRunner> {
  const runner = new DockerRunner(options);
  runners.push(runner);
  return runner.start();
}

/** A command that waits, in bash, for a file to appear (polling is the only way a shell can). */
const waitFor = (...files: string[]) => `until ${files.map((file) => `[ -e ${file} ]`).join(' && ')}; do sleep 0.05; done`;

describe('openShell()', () => {
  it("has its own cwd and variables, and the sandbox's files", async () => {
    const runner = await startRunner();
    const [one, two] = await Promise.all([runner.openShell(), runner.openShell()]);
    await runner.run('cd /tmp && X=main');
    await one.run('cd /var && X=one && echo from-one > /tmp/shared');
    expect((await runner.run('echo "$PWD $X"; cat /tmp/shared')).stdout).toBe('/tmp main\nfrom-one\n');
    expect((await one.run('echo "$PWD $X"')).stdout).toBe('/var one\n');
    expect((await two.run('echo "$PWD [$X]"; cat /tmp/shared')).stdout).toBe('/home/sandbox []\nfrom-one\n');
    expect((await two.run('id -u')).stdout).toBe((await runner.run('id -u')).stdout);
  });

  it('runs commands at the same time as the other shells: each waits for a file the other makes', async () => {
    const runner = await startRunner();
    const [one, two] = await Promise.all([runner.openShell(), runner.openShell()]);
    const results = await Promise.all([
      one.run(`touch one.flag; ${waitFor('two.flag')}; echo one`, { timeoutMs: 30_000 }),
      two.run(`touch two.flag; ${waitFor('one.flag')}; echo two`, { timeoutMs: 30_000 }),
    ]);
    expect(results.map(({ stdout, timedOut }) => ({ stdout, timedOut }))).toEqual([
      { stdout: 'one\n', timedOut: false },
      { stdout: 'two\n', timedOut: false },
    ]);
  });

  it('streams output as runner.stream() does', async () => {
    const runner = await startRunner();
    const shell = await runner.openShell({ env: { GREETING: 'hi' } });
    const events = [];
    for await (const event of shell.stream('echo "$GREETING"; echo oops >&2; exit_code=3; (exit $exit_code)')) events.push(event);
    expect(
      events
        .slice(0, -1)
        .map((event) => event.type !== 'result' && `${event.type}:${event.data.toString()}`)
        .sort(),
    ).toEqual(['stderr:oops\n', 'stdout:hi\n']);
    expect(events.at(-1)).toMatchObject({ type: 'result', result: { exitCode: 3, stdout: 'hi\n', stderr: 'oops\n' } });
  });

  it('checks its options where they enter', async () => {
    expect(() => new DockerRunner({ maxShells: 0 })).toThrow(InvalidArgumentError);
    const runner = await startRunner();
    await expect(runner.openShell({ timeout: 5 } as never)).rejects.toThrow(/`timeout`.*not an option of openShell\(\)/);
    await expect(runner.openShell({ env: { A: 1 } } as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    const shell = await runner.openShell({ timeoutMs: 500 });
    expect(await shell.run('sleep 30')).toMatchObject({ timedOut: true });
    await expect(shell.run('true', { maxOutputBytes: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe('the end of a shell', () => {
  it('close() lets queued commands finish, then ends only that shell', async () => {
    const runner = await startRunner();
    const shell = await runner.openShell();
    const queued = shell.run('echo queued');
    await shell.close();
    expect((await queued).stdout).toBe('queued\n');
    expect(shell.isOpen).toBe(false);
    expect(await shell.closed).toMatchObject({ reason: 'shell-exited', exitCode: 0 });
    await expect(shell.run('true')).rejects.toBeInstanceOf(SessionClosedError);
    expect((await runner.run('echo still')).stdout).toBe('still\n');
  });

  it('`exit` in a shell ends that shell alone', async () => {
    const runner = await startRunner();
    const [leaving, staying] = await Promise.all([runner.openShell(), runner.openShell()]);
    const error = await leaving.run('exit 3').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionClosedError);
    expect(error).toMatchObject({ reason: 'shell-exited', exitCode: 3 });
    expect((await staying.run('echo on')).stdout).toBe('on\n');
    expect((await runner.run('echo on')).stdout).toBe('on\n');
  });

  it("stop() rejects the running command and kills the shell's processes, its background jobs too", async () => {
    const runner = await startRunner();
    const shell = await runner.openShell();
    const running = shell.run('sleep 300 & echo $! > job.pid; sleep 301').catch((e: unknown) => e);
    await runner.run(`until [ -s job.pid ]; do sleep 0.05; done`);
    await shell.stop();
    expect(await running).toMatchObject({ code: 'ERR_SESSION_CLOSED', reason: 'stopped' });
    // Killed by the time stop() resolves; reaping by the container's init may take a moment.
    const gone = await runner.run('(for i in $(seq 100); do kill -0 "$(cat job.pid)" 2>/dev/null || { echo gone; exit; }; sleep 0.05; done; echo alive)');
    expect(gone.stdout).toBe('gone\n');
    expect((await runner.run('echo on')).stdout).toBe('on\n');
  });

  it("the runner's stop() ends every shell: a running command rejects with SessionClosedError", async () => {
    const runner = await startRunner();
    const shell = await runner.openShell();
    const running = shell.run(`touch started; sleep 300`).catch((e: unknown) => e);
    await runner.run(waitFor('started'));
    await runner.stop();
    expect(await running).toMatchObject({ code: 'ERR_SESSION_CLOSED', reason: 'stopped', detail: 'the runner was stopped' });
    expect(shell.isOpen).toBe(false);
    await expect(runner.openShell()).rejects.toBeInstanceOf(SessionClosedError);
  });
});

describe('maxShells', () => {
  it('refuses a shell past the bound with ShellLimitError, and opens one again once another closed', async () => {
    const runner = await startRunner({ maxShells: 2 });
    const shells: SandboxShell[] = await Promise.all([runner.openShell(), runner.openShell()]);
    const error = await runner.openShell().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShellLimitError);
    expect(error).toMatchObject({ code: 'ERR_SHELL_LIMIT', maxShells: 2 });
    expect((error as Error).message).toMatch(/close one.*or raise the runner's `maxShells`/i);
    await shells[0]?.close();
    const again = await runner.openShell();
    expect((await again.run('echo ok')).stdout).toBe('ok\n');
  });

  it('counts shells still opening: concurrent calls cannot overshoot', async () => {
    const runner = await startRunner({ maxShells: 1 });
    const outcomes = await Promise.allSettled([runner.openShell(), runner.openShell()]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
  });
});

describe('a timeout in one shell', () => {
  it("kills nothing of the runner's session or of another shell, though their task numbers and start times match", async () => {
    const runner = await startRunner();
    const [two, three, watcher] = await Promise.all([runner.openShell(), runner.openShell(), runner.openShell()]);
    const timedOut = two.run('touch two.started; sleep 30', { timeoutMs: 6_000 });
    let twoDone = false;
    void timedOut.finally(() => (twoDone = true));
    await watcher.run(waitFor('two.started'));
    // Both start after shell two's command: fresh processes, as far as its kill can tell. The
    // subshells carry their bash's environment; `three` runs its first command, as `two` does.
    const main = runner.run(`( touch main.started; ${waitFor('release')}; echo main survived )`);
    const other = three.run(`( touch three.started; ${waitFor('release')}; echo three survived )`);
    await watcher.run(waitFor('main.started', 'three.started'));
    expect(twoDone).toBe(false); // else the timeout came before the others started, and proves nothing
    expect(await timedOut).toMatchObject({ timedOut: true, exitCode: 137 });
    await watcher.run('touch release');
    expect((await main).stdout).toBe('main survived\n');
    expect((await other).stdout).toBe('three survived\n');
  });
});
