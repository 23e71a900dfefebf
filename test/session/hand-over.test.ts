/**
 * Handing a shell over from one session to the next (what detach/connect does over Docker), against
 * a local bash: the state survives, whatever leaked into the input in between, and the idle limit
 * given at hand-over ends bash when nobody takes it over in time.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionCloseInfo } from '../../src/errors.js';
import { SHELL_ARGV } from '../../src/protocol/command-framing.js';
import { Session, type ShellTransport } from '../../src/session/session.js';

let child: ChildProcessWithoutNullStreams | undefined;
let exited: Promise<SessionCloseInfo>;

function startBash(): void {
  const [file, ...args] = SHELL_ARGV as [string, ...string[]];
  child = spawn(file, args, { env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: ['pipe', 'pipe', 'pipe'] });
  const bash = child;
  exited = new Promise((resolve) =>
    bash.once('exit', (code) => resolve({ reason: 'shell-exited', detail: `bash exited with status ${code}`, exitCode: code })),
  );
}

/** A transport on the running bash: each session gets its own, as each Docker attach is a new one. */
function transport(): ShellTransport {
  const bash = child as ChildProcessWithoutNullStreams;
  return { stdin: bash.stdin, stdout: bash.stdout, stderr: bash.stderr, closed: exited };
}

afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
});

describe('Session.handOver() and Session.resume()', () => {
  it('carry the shell over with its cwd, variables, functions, options and last status', async () => {
    startBash();
    const first = await Session.open(transport());
    await first.run('cd /tmp; X="kept value"; f() { echo "f says $1"; }; set -o pipefail; false');
    const handOver = await first.handOver(null);
    first.destroy({ reason: 'stopped', detail: 'detached' });
    expect(handOver.tasks).toBeGreaterThan(0);

    const second = await Session.resume(transport(), handOver);
    const result = await second.run('echo "status $?"; pwd; echo "$X"; f ok; [[ -o pipefail ]] && echo pipefail on');
    expect(result.stdout).toBe('status 1\n/tmp\nkept value\nf says ok\npipefail on\n');
    expect(second.shellPid).toBe(first.shellPid);
  });

  it('goes on after bytes leaked into the shell input between the two sessions', async () => {
    startBash();
    const first = await Session.open(transport());
    await first.run('Y=1');
    const handOver = await first.handOver(null);
    first.destroy({ reason: 'stopped', detail: 'detached' });
    child?.stdin.write('{}');

    const second = await Session.resume(transport(), handOver);
    expect((await second.run('echo "$Y"')).stdout).toBe('1\n');
    // Still inside a working loop: a command that leaves it is reported, and the next one runs.
    expect((await second.run('break 2; echo skipped')).exitCode).toBe(0);
    expect((await second.run('echo "$Y again"')).stdout).toBe('1 again\n');
  });

  it('numbers commands on from where the first session stopped', async () => {
    startBash();
    const first = await Session.open(transport(), { tag: 'm' });
    await first.run('true');
    await first.run('true');
    const handOver = await first.handOver(null);
    first.destroy({ reason: 'stopped', detail: 'detached' });
    const second = await Session.resume(transport(), handOver, { tag: 'm' });
    const { stdout } = await second.run('echo "$__ds_t"');
    expect(Number(stdout.trim().split('.')[1])).toBeGreaterThan(handOver.tasks);
  });

  it('with an idle limit, bash exits by itself when nobody takes the shell over, and says why', async () => {
    startBash();
    const first = await Session.open(transport());
    let stderr = '';
    child?.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const handOver = first.handOver(1);
    await handOver;
    first.destroy({ reason: 'stopped', detail: 'detached' });
    expect(await exited).toMatchObject({ exitCode: 0 });
    expect(stderr).toContain('docker-shell: no command for 1 s: the sandbox ends');
  });

  it('the next session takes the idle limit away', async () => {
    startBash();
    const first = await Session.open(transport());
    const handOver = await first.handOver(1);
    first.destroy({ reason: 'stopped', detail: 'detached' });
    const second = await Session.resume(transport(), handOver);
    // Twice the idle limit, spent in a command and then idle between commands: bash is still there.
    await second.run('sleep 1.2');
    expect((await second.run('sleep 1.2; echo alive')).stdout).toBe('alive\n');
    expect(second.isClosed).toBe(false);
  });
});

describe('the first newline of Session.resume()', () => {
  it('leaves the loop without a word from bash', async () => {
    startBash();
    const first = await Session.open(transport());
    const handOver = await first.handOver(null);
    first.destroy({ reason: 'stopped', detail: 'detached' });
    let stderr = '';
    child?.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child?.stdin.write('{}');
    const second = await Session.resume(transport(), handOver);
    await second.run('true');
    // Only the sentinels that end each message's stderr.
    expect(stderr.split('\n').filter((line) => line !== '' && !line.startsWith('exit task '))).toEqual([]);
  });
});
