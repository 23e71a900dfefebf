/**
 * runner.pty() against the real Docker engine: a real terminal in the sandbox (a /dev/pts device,
 * its size, Ctrl-C, exit codes), several at once beside the session, and their end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRunner } from '../../src/docker/docker-runner.js';
import type { SandboxPty } from '../../src/docker/pty/sandbox-pty.js';
import { InvalidArgumentError, SessionClosedError, SpawnFailedError } from '../../src/errors.js';

/** Everything a terminal shows, as text, and a way to wait for a pattern in what comes next. */
class Screen {
  text = '';
  #mark = 0;
  #waiters = new Set<() => void>();

  constructor(pty: SandboxPty) {
    pty.output.on('data', (chunk: Buffer) => {
      this.text += chunk.toString('utf8');
      for (const wake of this.#waiters) wake();
    });
    pty.output.on('end', () => {
      for (const wake of this.#waiters) wake();
    });
  }

  /** Resolves with the first match of `pattern` in the output after the last match, failing after 30 s. */
  async next(pattern: RegExp): Promise<RegExpExecArray> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const match = pattern.exec(this.text.slice(this.#mark));
      if (match) {
        this.#mark += match.index + match[0].length;
        return match;
      }
      if (Date.now() > deadline) throw new Error(`the terminal never showed ${String(pattern)}; it shows:\n${JSON.stringify(this.text)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1_000);
        this.#waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.#waiters.clear();
    }
  }
}

/** Runs a line in the terminal's shell and resolves with what it printed between two unique markers. */
async function say(pty: SandboxPty, screen: Screen, line: string): Promise<string> {
  const id = Math.random().toString(36).slice(2);
  // The markers are built by the shell, so the echoed input line cannot match them.
  pty.write(`echo "<${id}""<"; ${line}; echo ">${id}"">"\r`);
  const match = await screen.next(new RegExp(`<${id}<\\r\\n([\\s\\S]*?)>${id}>`));
  return (match[1] ?? '').replace(/\r\n/g, '\n');
}

describe('pty() on a shared runner', () => {
  let runner: DockerRunner;
  beforeAll(async () => {
    runner = await DockerRunner.start();
  });
  afterAll(async () => {
    await runner.stop();
  });

  it('is a real terminal: tty names a /dev/pts device, stty size says the size asked for and follows resize()', async () => {
    const pty = await runner.pty({ cols: 100, rows: 30 });
    const screen = new Screen(pty);
    expect(await say(pty, screen, 'tty')).toMatch(/^\/dev\/pts\/\d+\n$/);
    expect(await say(pty, screen, 'stty size')).toBe('30 100\n');
    expect(await say(pty, screen, 'echo "$TERM $HOME $(id -u) $PWD"')).toBe('xterm-256color /home/sandbox 65534 /home/sandbox\n');
    await pty.resize(132, 43);
    expect([pty.cols, pty.rows]).toEqual([132, 43]);
    expect(await say(pty, screen, 'stty size')).toBe('43 132\n');
    pty.write('exit 0\r');
    expect(await pty.wait()).toBe(0);
  });

  it('gives a program its size from its very first instruction', async () => {
    const pty = await runner.pty({ cols: 57, rows: 13, command: 'stty size' });
    const screen = new Screen(pty);
    expect(await pty.wait()).toBe(0);
    expect(screen.text).toBe('13 57\r\n');
  });

  it('Ctrl-C (\\x03) interrupts the foreground program and the shell lives on; `exit 7` ends it with 7', async () => {
    const pty = await runner.pty();
    const screen = new Screen(pty);
    await say(pty, screen, 'X=kept');
    pty.write('sleep 100; echo sleep-ended-$?\r');
    await waitForProcess(runner, 'sleep 100');
    pty.write('\x03');
    await screen.next(/\^C/);
    expect(await say(pty, screen, 'echo "$X"; pgrep -c sleep || true')).toBe('kept\n0\n');
    expect(screen.text).not.toMatch(/sleep-ended-\d/); // only the typed line, never its output
    pty.write('exit 7\r');
    expect(await pty.wait()).toBe(7);
    expect(pty.exitCode).toBe(7);
    expect(pty.isRunning).toBe(false);
    expect(pty.write('echo late\r')).toBe(false);
  });

  it('runs several terminals and the session at once, each with its own device', async () => {
    const ptys = await Promise.all([runner.pty(), runner.pty(), runner.pty({ command: 'cat' })]);
    const screens = ptys.map((pty) => new Screen(pty));
    const [first, second, cat] = ptys as [SandboxPty, SandboxPty, SandboxPty];
    const [firstScreen, secondScreen, catScreen] = screens as [Screen, Screen, Screen];
    const [a, b] = await Promise.all([say(first, firstScreen, 'tty'), say(second, secondScreen, 'tty')]);
    expect(a).not.toBe(b);
    cat.write('typed into cat\r');
    await catScreen.next(/typed into cat\r\n(?:.*\r\n)?typed into cat\r\n/);
    expect((await runner.run('echo session')).stdout).toBe('session\n');
    first.write('exit 1\r');
    second.write('exit 2\r');
    cat.write('\x04');
    expect(await Promise.all(ptys.map((pty) => pty.wait()))).toEqual([1, 2, 0]);
  });

  it('kill() ends the terminal and every process it started (SIGHUP by default), and is a no-op afterwards', async () => {
    const pty = await runner.pty();
    const screen = new Screen(pty);
    await say(pty, screen, '(sleep 201 &); { sleep 202 & }');
    pty.write('sleep 203\r');
    await waitForProcess(runner, 'sleep 203');
    expect(await pty.kill()).toBe(true);
    expect(await pty.wait()).toBe(129);
    const left = (await runner.run('pgrep -a sleep || true')).stdout;
    expect(left).not.toMatch(/sleep 20[123]/);
    expect(await pty.kill()).toBe(false);
  });

  it('runs a command in cwd with env, and rejects a missing cwd with SpawnFailedError', async () => {
    const pty = await runner.pty({ command: 'echo "$PWD $GREETING $TERM"', cwd: '/tmp', env: { GREETING: 'hi', TERM: 'vt100' } });
    const screen = new Screen(pty);
    expect(await pty.wait()).toBe(0);
    expect(screen.text).toBe('/tmp hi vt100\r\n');
    const error = await runner.pty({ cwd: '/no/such/dir' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpawnFailedError);
    expect((error as SpawnFailedError).detail).toMatch(/no such file or directory/i);
  });

  it('checks its options and arguments at the door', async () => {
    await expect(runner.pty({ cols: 0 })).rejects.toMatchObject({ option: 'cols' });
    await expect(runner.pty({ rows: 2.5 })).rejects.toMatchObject({ option: 'rows' });
    await expect(runner.pty({ command: '' })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(runner.pty({ colums: 80 } as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    const pty = await runner.pty({ command: 'cat' });
    await expect(pty.resize(80, 0)).rejects.toMatchObject({ option: 'rows' });
    expect(() => pty.write(42 as never)).toThrow(InvalidArgumentError);
    await expect(pty.kill('SIGNOPE' as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    await pty[Symbol.asyncDispose]();
    expect(pty.isRunning).toBe(false);
  });
});

describe('pty() and the runner’s end', () => {
  it('stop() ends every terminal (wait() says null), and a pty on a stopped runner is a SessionClosedError', async () => {
    const runner = await DockerRunner.start();
    const ptys = await Promise.all([runner.pty(), runner.pty({ command: 'sleep 300' })]);
    await runner.stop();
    expect(await Promise.all(ptys.map((pty) => pty.wait()))).toEqual([null, null]);
    expect(ptys.map((pty) => pty.isRunning)).toEqual([false, false]);
    const error = await runner.pty().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionClosedError);
    expect(error).toMatchObject({ reason: 'stopped' });
  });

  it('onData gets the output decoded, multi-byte characters whole', async () => {
    await using runner = await DockerRunner.start();
    let text = '';
    const pty = await runner.pty({ command: "printf 'h\\xc3'; sleep 0.1; printf '\\xa9llo\\n'", onData: (piece) => (text += piece) });
    expect(await pty.wait()).toBe(0);
    expect(text).toBe('héllo\r\n');
  });
});

/** Resolves once the sandbox runs a process with exactly this command line (polled through the session). */
async function waitForProcess(runner: DockerRunner, args: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const { stdout } = await runner.run(`pgrep -fx '${args}' || true`);
    if (stdout.trim() !== '') return;
  }
  throw new Error(`no process \`${args}\` appeared`);
}
