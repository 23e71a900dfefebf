/**
 * `docker-shell shell --tty`: the local terminal attached to a terminal in the sandbox, as `ssh`
 * or `docker exec -it` does. Keys go through raw (Ctrl-C reaches the program, not us), the sandbox's
 * terminal follows the local one's size, and the local terminal is put back as it was on every way
 * out: the shell's exit or Ctrl-D, the container killed under it, SIGTERM / SIGHUP / SIGINT sent
 * to the CLI, a second signal's hurried exit.
 */
import type { DockerRunner } from '../docker/docker-runner.js';
import type { SandboxPty } from '../docker/pty/sandbox-pty.js';
import { log } from './failure.js';
import { Progress } from './progress.js';
import type { Ending } from './sandbox-handover.js';
import type { ShellFlags } from './shell-command.js';
import { ShellSandbox } from './shell-sandbox.js';
import { signalExitCode, trapSignals } from './signals.js';
import { LOST_SESSION_EXIT_CODE } from './step-report.js';
import { TerminalModes } from './terminal-modes.js';

export async function ttyShell(flags: ShellFlags, ending: Ending): Promise<number> {
  const progress = await Progress.create({ quiet: flags.quiet });
  const shell = new ShellSandbox(flags, ending, progress);
  const setup = new AbortController();
  const local = new LocalTerminal();
  // In raw mode Ctrl-C is a key for the sandbox; a signal here came from elsewhere and means leave.
  const trap = trapSignals((signal) => {
    log('%s', signal);
    setup.abort();
    shell.interrupt();
  });
  try {
    let runner: DockerRunner;
    try {
      runner = await shell.open(setup.signal);
    } catch (error) {
      if (trap.received === undefined) throw error;
      return signalExitCode(trap.received);
    }
    progress.line(`a terminal in the sandbox: \`exit\` or Ctrl-D leaves (the sandbox is ${ending.kind === 'stop' ? 'removed' : 'detached'})`);
    const size = local.size();
    const term = process.env.TERM;
    // An attached sandbox's terminal is a new bash, started where the session is.
    const cwd = flags.attach === undefined ? undefined : await sessionCwd(runner);
    const pty = await runner.pty({ ...size, ...(term ? { env: { TERM: term } } : {}), ...(cwd ? { cwd } : {}) });
    const exitCode = await local.attach(pty);
    if (trap.received !== undefined) return signalExitCode(trap.received);
    if (await sandboxAnswers(runner)) return exitCode ?? LOST_SESSION_EXIT_CODE;
    const closed = await Promise.race([runner.closed, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 2_000).unref())]);
    local.restore();
    progress.line(`the sandbox went away${closed ? `: ${closed.detail}` : ''}`);
    return exitCode ?? LOST_SESSION_EXIT_CODE;
  } finally {
    local.restore();
    trap.dispose();
    await shell.leave(trap.received !== undefined);
  }
}

/** The session's working directory (undefined if it cannot say): where `--attach`'s terminal starts. */
async function sessionCwd(runner: DockerRunner): Promise<string | undefined> {
  const result = await runner.run('printf %s "$PWD"', { timeoutMs: 10_000 }).catch((error: unknown) => log('cwd: %O', error));
  return result && result.exitCode === 0 && result.stdout !== '' ? result.stdout : undefined;
}

/**
 * Whether the sandbox is still there: the terminal's end may be the container's. The session is
 * asked, as it notices the container's end only a moment after the terminal does.
 */
async function sandboxAnswers(runner: DockerRunner): Promise<boolean> {
  return runner.run('true', { timeoutMs: 10_000 }).then(
    (result) => result.exitCode === 0,
    () => false,
  );
}

/** This process's terminal: its size, raw mode, and putting it back. */
class LocalTerminal {
  readonly #modes = new TerminalModes();
  #raw = false;
  #restored = false;
  readonly #onExit = (): void => this.restore();

  /** The size of the local terminal (stdout's), or the sandbox's default when stdout is not one. */
  size(): { cols: number; rows: number } | Record<string, never> {
    const { columns, rows } = process.stdout;
    return process.stdout.isTTY && columns > 0 && rows > 0 ? { cols: columns, rows } : {};
  }

  /** Wires stdin, stdout and resizes to `pty` until it ends; resolves with its exit code. */
  async attach(pty: SandboxPty): Promise<number | null> {
    const { stdin, stdout } = process;
    // A hurried exit (a second signal) skips `finally`: the terminal is put back on the way out anyway.
    process.once('exit', this.#onExit);
    if (stdin.isTTY) {
      stdin.setRawMode(true);
      this.#raw = true;
    }
    const onInput = (data: Buffer): void => void pty.write(data);
    // Piped input that ends: Ctrl-D, as a terminal would send it, so the shell leaves.
    const onInputEnd = (): void => void pty.write('\x04');
    const onResize = (): void => {
      const size = this.size();
      if ('cols' in size) pty.resize(size.cols, size.rows).catch((error: unknown) => log('resize: %O', error));
    };
    // The terminal went away (EIO, EPIPE): leave as on a hang-up.
    const onTerminalError = (error: Error): void => {
      log('terminal: %s', error.message);
      void pty.kill('SIGHUP').catch(() => {});
    };
    const onOutput = (chunk: Buffer): void => {
      this.#modes.see(chunk);
      stdout.write(chunk);
    };
    stdin.on('data', onInput);
    stdin.once('end', onInputEnd);
    stdout.on('resize', onResize);
    for (const stream of [stdin, stdout]) stream.on('error', onTerminalError);
    pty.output.on('data', onOutput);
    stdin.resume();
    try {
      return await pty.wait();
    } finally {
      pty.output.off('data', onOutput);
      stdin.off('data', onInput);
      stdin.off('end', onInputEnd);
      stdout.off('resize', onResize);
      stdin.pause();
    }
  }

  /** Raw mode off, and the modes the program left changed put back. Once; safe from an `exit` handler (synchronous). */
  restore(): void {
    if (this.#restored) return;
    this.#restored = true;
    process.off('exit', this.#onExit);
    try {
      if (this.#raw) process.stdin.setRawMode(false);
      const reset = this.#modes.reset();
      if (reset !== '' && process.stdout.isTTY) process.stdout.write(reset);
    } catch (error) {
      log('restoring the terminal: %s', (error as Error).message); // it is gone
    }
  }
}
