/**
 * The session core against a local bash child process: framing, queueing, streams, state, closing.
 * No Docker here; the same behaviours are checked through Docker in test/docker.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommandFailedError, InvalidArgumentError, SessionClosedError } from '../../src/errors.js';
import { startLocalSession, type LocalSession } from '../../src/session/local-bash.js';
import type { Session } from '../../src/session/session.js';
import { HOSTILE_COMMANDS } from '../helpers/hostile-commands.js';

let local: LocalSession;
let session: Session;

beforeEach(async () => {
  local = await startLocalSession();
  session = local.session;
});
afterEach(async () => {
  await local.close();
});

describe('command texts that would break a naive frame', () => {
  it.each(HOSTILE_COMMANDS)('$name completes with exit $exitCode and leaves the session usable', async (hostile) => {
    const result = await session.run(hostile.command);
    expect(result.exitCode).toBe(hostile.exitCode);
    expect(result.stdout).toBe(hostile.stdout);
    if (hostile.stderrIncludes) expect(result.stderr).toContain(hostile.stderrIncludes);
    const after = await session.run('echo still here');
    expect(after).toMatchObject({ exitCode: 0, stdout: 'still here\n', stderr: '' });
  });
});

describe('exit codes', () => {
  it('come back right for 0..255', async () => {
    const codes = Array.from({ length: 256 }, (_, code) => code);
    const results = await Promise.all(codes.map((code) => session.run(`(exit ${code})`)));
    expect(results.map((r) => r.exitCode)).toEqual(codes);
  });

  it('reject with CommandFailedError carrying the whole result when check is on', async () => {
    const error = await session.run('echo out; echo bad >&2; exit_code() { return 7; }; exit_code', { check: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandFailedError);
    const failed = error as CommandFailedError;
    expect(failed).toMatchObject({ code: 'ERR_COMMAND_FAILED', exitCode: 7, stdout: 'out\n', stderr: 'bad\n' });
    expect(failed.result.command).toContain('exit_code');
    expect(failed.message).toContain('exited with code 7');
    expect((await session.run('true', { check: true })).exitCode).toBe(0);
  });
});

describe('state across commands', () => {
  it('keeps cwd, exported and plain variables, functions, aliases and shell options', async () => {
    await session.run('cd /tmp && export EXPORTED=1 && PLAIN=2 && greet() { echo "hi $1"; } && alias say=echo && shopt -s nullglob && declare -A map=([k]=v)');
    const { stdout } = await session.run('pwd; echo $EXPORTED $PLAIN; greet you; say aliased; echo no-match-*; echo ${map[k]}; bash -c "echo \\$EXPORTED"');
    expect(stdout).toBe('/tmp\n1 2\nhi you\naliased\n\nv\n1\n');
  });
});

describe('stdin', () => {
  it('is end-of-file for a command, which cannot eat the next command', async () => {
    const [reader, next] = await Promise.all([session.run('cat; read -r line; echo "read:$?"; head -c1 | wc -c'), session.run('echo next')]);
    expect(reader.stdout).toBe('read:1\n0\n');
    expect(next.stdout).toBe('next\n');
  });

  it('carries the bytes the caller passes, exactly', async () => {
    const bytes = Buffer.from([0, 1, 0x25, 0x27, 0x5c, 0x0a, 0xff, 0x80, 0x41]);
    const { stdout } = await session.run('od -An -tx1 | tr -s " \\n" " "', { stdin: bytes });
    expect(stdout.trim()).toBe([...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' '));
    expect((await session.run('cat', { stdin: 'line one\nline two' })).stdout).toBe('line one\nline two');
  });
});

describe('stdout and stderr', () => {
  it('are separate, and all of a command’s stderr belongs to it, none to the next', async () => {
    const loud = session.run('for i in $(seq 2000); do echo "err $i" >&2; echo "out $i"; done');
    const quiet = session.run('echo quiet');
    const [a, b] = await Promise.all([loud, quiet]);
    expect(a.stderr.split('\n').filter(Boolean)).toHaveLength(2000);
    expect(a.stdout.split('\n').filter(Boolean)).toHaveLength(2000);
    expect(a.stderr.endsWith('err 2000\n')).toBe(true);
    expect(b).toMatchObject({ stdout: 'quiet\n', stderr: '' });
  });

  it('merge into `output` keeping each stream’s own order', async () => {
    const { stdout, stderr, output } = await session.run('for i in $(seq 300); do echo "o$i"; echo "e$i" >&2; done');
    const lines = output.split('\n').filter(Boolean);
    expect(lines).toHaveLength(600);
    expect(lines.filter((l) => l.startsWith('o')).join('\n') + '\n').toBe(stdout);
    expect(lines.filter((l) => l.startsWith('e')).join('\n') + '\n').toBe(stderr);
  });

  it('strip ANSI codes from the text fields unless asked not to', async () => {
    const command = "printf '\\033[31mred\\033[0m\\n'";
    expect((await session.run(command)).stdout).toBe('red\n');
    expect((await session.run(command, { stripAnsi: false })).stdout).toBe('\u001b[31mred\u001b[0m\n');
  });

  it('decode invalid UTF-8 with replacement characters instead of throwing', async () => {
    const { stdout } = await session.run("printf 'a\\377b\\n'");
    expect(stdout).toBe('a\uFFFDb\n');
  });

  it('keep output that has no final newline exactly', async () => {
    expect((await session.run('printf abc')).stdout).toBe('abc');
    expect((await session.run('printf "€"')).stdout).toBe('€');
  });
});

describe('live output', () => {
  it('reaches onStdout/onStderr while the command still runs', async () => {
    const seen: string[] = [];
    // The command blocks until the test has seen its first line: proof that output is live.
    const fifo = `/tmp/ds-live-${process.pid}-${Date.now()}`;
    await session.run(`mkfifo ${fifo}`);
    const run = session.run(`echo first; read -r go < ${fifo}; echo "second $go"; echo warn >&2`, {
      onStdout: (text) => seen.push(`out:${text}`),
      onStderr: (text) => seen.push(`err:${text}`),
    });
    await expect.poll(() => seen.join('')).toContain('out:first\n');
    const other = await startLocalSession();
    await other.session.run(`echo go > ${fifo}; rm ${fifo}`);
    await other.close();
    const result = await run;
    expect(seen.join('')).toBe('out:first\nout:second go\nerr:warn\n');
    expect(result.stdout).toBe('first\nsecond go\n');
  });

  it('stream() yields tagged chunks and ends with the result', async () => {
    const events = [];
    for await (const event of session.stream('echo a; echo b >&2; exit_with() { return 4; }; exit_with')) events.push(event);
    const last = events.at(-1);
    expect(last?.type).toBe('result');
    const chunks = events.slice(0, -1) as { type: string; data: Buffer }[];
    const text = (type: string) => Buffer.concat(chunks.filter((c) => c.type === type).map((c) => c.data)).toString();
    expect(text('stdout')).toBe('a\n');
    expect(text('stderr')).toBe('b\n');
    expect(last?.type === 'result' && last.result.exitCode).toBe(4);
  });

  it('stream() throws what run() would reject with', async () => {
    const iterate = async () => {
      for await (const _ of session.stream('false', { check: true })) void _;
    };
    await expect(iterate()).rejects.toBeInstanceOf(CommandFailedError);
  });

  it('session.output carries every command’s output, sentinels removed', async () => {
    const chunks: Buffer[] = [];
    session.output.on('data', (chunk: Buffer) => chunks.push(chunk));
    await session.run('echo one');
    await session.run('echo two >&2');
    expect(Buffer.concat(chunks).toString()).toBe('one\ntwo\n');
  });
});

describe('queueing', () => {
  it('runs commands FIFO, each result with exactly its own output', async () => {
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => session.run(`echo ${i}; echo e${i} >&2`)));
    results.forEach((result, i) => {
      expect(result.stdout).toBe(`${i}\n`);
      expect(result.stderr).toBe(`e${i}\n`);
    });
  });

  it('rejects a command bash cannot hold (NUL) up front, and keeps going', async () => {
    await expect(session.run('echo a\0b')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(session.run(42 as unknown as string)).rejects.toThrow(/`command` must be a string/);
    expect((await session.run('echo ok')).stdout).toBe('ok\n');
  });
});

describe('when bash goes away', () => {
  it.each([
    { how: 'exit 3', reason: 'shell-exited', exitCode: 3 },
    { how: 'exec true', reason: 'shell-exited', exitCode: 0 },
    { how: 'kill -9 $$', reason: 'shell-killed', exitCode: null },
  ])('after `$how` the running and all queued commands reject, and later runs too', async ({ how, reason, exitCode }) => {
    const running = session.run(`echo partial; ${how}`);
    const queued = [session.run('echo queued 1'), session.run('echo queued 2')];
    const error = await running.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionClosedError);
    expect(error).toMatchObject({ reason, exitCode, command: `echo partial; ${how}`, stdout: 'partial\n' });
    for (const q of queued) await expect(q).rejects.toMatchObject({ code: 'ERR_SESSION_CLOSED', reason });
    await expect(session.run('echo later')).rejects.toBeInstanceOf(SessionClosedError);
    expect(session.isClosed).toBe(true);
  });

  it('rejects a command in flight when the process is killed from outside', async () => {
    const running = session.run('sleep 30');
    local.kill('SIGKILL');
    await expect(running).rejects.toMatchObject({ reason: 'shell-killed', signal: 'SIGKILL' });
  });

  it('close() rejects what is queued with reason "stopped"', async () => {
    const running = session.run('sleep 30');
    const rejected = expect(running).rejects.toMatchObject({ reason: 'stopped' });
    await local.close();
    await rejected;
  });
});
