/**
 * `docker-shell shell`: an interactive prompt on one sandbox session. A line in, its output out,
 * the last exit code in the prompt; Ctrl-C interrupts the running command (the session, its cwd
 * and variables survive) or clears the line; Ctrl-D or `exit` leaves, and the sandbox is removed
 * (`--detach`, `--attach ID`: Ctrl-D leaves it detached; see sandbox-handover.ts).
 */
import { createInterface, type Interface } from 'node:readline';
import { chalkStderr as chalk } from 'chalk';
import { Command } from 'commander';
import { DockerRunner } from '../docker/docker-runner.js';
import { log } from './failure.js';
import { LiveOutput } from './live-output.js';
import { formatBytes } from './parse.js';
import { Progress } from './progress.js';
import { addSandboxFlags, type SandboxFlags } from './sandbox-flags.js';
import { addHandoverFlags, endingOf, type Ending, type HandoverFlags } from './sandbox-handover.js';
import { drainForwards, forwardPorts, runStep } from './sandbox-session.js';
import { ShellSandbox } from './shell-sandbox.js';
import { signalExitCode, trapSignals } from './signals.js';
import { stepExitCode, type StepEnd } from './step-report.js';
import { ttyShell } from './tty-shell.js';

/** The `shell` verb. */
export function shellCommand(): Command {
  const command = new Command('shell').description(
    'an interactive bash in a fresh sandbox, on a real terminal (--tty, the default at a terminal) or line by line (--no-tty): Ctrl-D or `exit` leaves and removes the sandbox',
  );
  addSandboxFlags(command, { timeout: 'none', timeoutHelp: 'timeout of each command: 30s, 5m, 1h, 1500 (ms), or none (Ctrl-C stops one)' });
  command
    .option('--tty', 'a real terminal in the sandbox (full-screen programs, job control); the default when stdin and stdout are terminals')
    .option('--no-tty', 'line mode: a prompt here, each line run in the session');
  addHandoverFlags(command, 'shell');
  return command.action(async (flags: ShellFlags) => {
    const ending = endingOf(command, flags);
    const tty = flags.tty ?? (process.stdin.isTTY === true && process.stdout.isTTY === true);
    process.exitCode = tty ? await ttyShell(flags, ending) : await interactive(flags, ending);
  });
}

export interface ShellFlags extends SandboxFlags, HandoverFlags {
  /** `--tty` / `--no-tty`; undefined when neither was given. */
  tty?: boolean;
}

/** Where the shell is, for the prompt. */
interface PromptState {
  exitCode: number;
  cwd: string;
  home: string;
}

async function interactive(flags: ShellFlags, ending: Ending): Promise<number> {
  const progress = await Progress.create({ quiet: flags.quiet });
  const shell = new ShellSandbox(flags, ending, progress);
  let running: AbortController | undefined;
  let rl: Interface | undefined;
  const setup = new AbortController();
  // A signal to the process (SIGTERM, SIGHUP, or Ctrl-C when stdin is not a terminal) means leave:
  // the running command is interrupted and the input closed. At a terminal, Ctrl-C is readline's.
  const trap = trapSignals((signal) => {
    log('%s', signal);
    running?.abort();
    if (rl) return rl.close();
    setup.abort();
    shell.interrupt();
  });
  // The terminal went away (EIO, EPIPE): leave as on a hang-up. The listeners stay to the end, as
  // later writes (the last lines) fail the same way; closing readline fails again (setRawMode).
  let terminalGone = false;
  const onTerminalError = (error: Error): void => {
    if (terminalGone) return;
    terminalGone = true;
    log('terminal: %s', error.message);
    running?.abort();
    // Not from inside readline's own close (stdin's end closes it, and fails on the way): later.
    setImmediate(() => {
      try {
        rl?.close();
      } catch (closeError) {
        log('closing the prompt: %s', (closeError as Error).message);
      }
    });
  };
  for (const stream of [process.stdin, process.stdout, process.stderr]) stream.on('error', onTerminalError);
  try {
    let runner: DockerRunner;
    try {
      runner = await shell.open(setup.signal);
      await forwardPorts(runner, flags.port ?? [], progress);
    } catch (error) {
      if (trap.received === undefined) throw error;
      return signalExitCode(trap.received);
    }
    const terminal = process.stdin.isTTY === true && process.stderr.isTTY === true;
    if (terminal) {
      const leaving =
        ending.kind === 'stop'
          ? 'Ctrl-D or `exit` leaves (the sandbox is removed)'
          : 'Ctrl-D leaves (the sandbox is detached), `exit` ends the session and removes it';
      progress.line(`Ctrl-C interrupts a command, ${leaving}`);
    }
    const state: PromptState = { exitCode: 0, cwd: '', home: '' };
    await refreshPrompt(runner, state);
    rl = createInterface({ input: process.stdin, output: process.stderr, terminal, historySize: 1000 });
    // readline passes its input's errors on as its own: unheard, they would crash the process.
    rl.on('error', onTerminalError);
    const session = new LineLoop(rl, terminal);
    rl.on('SIGINT', () => {
      if (!running) return session.clearLine();
      process.stderr.write('^C\n');
      running.abort();
    });
    const live = new LiveOutput();
    for (;;) {
      const command = await session.next(promptText(state));
      if (command === undefined) break;
      running = new AbortController();
      let end: StepEnd;
      try {
        end = await runStep(runner, command, live, running.signal);
      } finally {
        running = undefined;
      }
      if (live.midLine) process.stderr.write('\n');
      live.reset();
      state.exitCode = stepExitCode(end);
      if ('closed' in end) {
        rl.close();
        if (end.closed.reason !== 'shell-exited') progress.line(`the session ended: ${end.closed.detail}`);
        break;
      }
      const note = notes(end);
      if (note) process.stderr.write(`${chalk.yellow(note)}\n`);
      if (!terminal && state.exitCode !== 0) process.stderr.write(`[exit ${state.exitCode}]\n`);
      await refreshPrompt(runner, state);
    }
    if (trap.received === undefined) await drainForwards(runner);
    return trap.received === undefined ? state.exitCode : signalExitCode(trap.received);
  } finally {
    trap.dispose();
    await shell.leave(trap.received !== undefined);
  }
}

/** Timed out, OOM, truncated: what the prompt's exit code does not say. */
function notes(end: StepEnd): string | undefined {
  if (!('result' in end)) return undefined;
  const { result } = end;
  const notes: string[] = [];
  if (result.timedOut) notes.push('timed out (--timeout)');
  if (result.oomKilled) notes.push('killed for lack of memory (--memory)');
  if (result.truncated) notes.push(`output truncated: ${formatBytes(result.droppedBytes)} dropped (--max-output)`);
  return notes.length > 0 ? notes.join(', ') : undefined;
}

/**
 * Asks the shell for its cwd and HOME, and leaves `$?` as it was: the follow-up ends with
 * `(exit N)`, N being the last command's code, so `echo $?` typed next still says N.
 */
async function refreshPrompt(runner: DockerRunner, state: PromptState): Promise<void> {
  try {
    const { stdout } = await runner.run(`printf '%s\\n%s' "$PWD" "$HOME"; (exit ${state.exitCode})`, { timeoutMs: 10_000 });
    const [cwd = '', home = ''] = stdout.split('\n');
    state.cwd = cwd;
    state.home = home;
  } catch (error) {
    log('prompt: %O', error); // the next command finds out what happened to the session
  }
}

/** `[0] ~/src $ `: the last exit code (green or red), the cwd with HOME as `~`. */
function promptText({ exitCode, cwd, home }: PromptState): string {
  const where = home !== '' && (cwd === home || cwd.startsWith(`${home}/`)) ? `~${cwd.slice(home.length)}` : cwd;
  const code = exitCode === 0 ? chalk.green(`[${exitCode}]`) : chalk.red(`[${exitCode}]`);
  return `${code} ${chalk.blue(where)} $ `;
}

/**
 * Lines from readline, one command at a time: lines typed while a command runs wait their turn, a
 * line ending with `\` continues on the next (prompt `> `), and end of input (Ctrl-D) ends the loop
 * once the lines before it have run.
 */
class LineLoop {
  readonly #rl: Interface;
  readonly #terminal: boolean;
  readonly #lines: string[] = [];
  #ended = false;
  #wake: (() => void) | undefined;
  #pending: string[] = [];

  constructor(rl: Interface, terminal: boolean) {
    this.#rl = rl;
    this.#terminal = terminal;
    rl.on('line', (line) => {
      this.#lines.push(line);
      this.#wake?.();
    });
    rl.on('close', () => {
      this.#ended = true;
      if (terminal) process.stderr.write('\n');
      this.#wake?.();
    });
  }

  /** The next command, or undefined at the end of input. */
  async next(prompt: string): Promise<string | undefined> {
    this.#show(prompt);
    for (;;) {
      const line = this.#lines.shift();
      if (line === undefined) {
        if (this.#ended) return undefined;
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        this.#wake = undefined;
        continue;
      }
      if (line.endsWith('\\')) {
        this.#pending.push(line); // bash itself joins a backslash-newline
        this.#show('> ');
        continue;
      }
      const command = [...this.#pending, line].join('\n');
      this.#pending = [];
      if (command.trim() === '') {
        this.#show(prompt);
        continue;
      }
      return command;
    }
  }

  /** Ctrl-C at the prompt: the typed line (and any continuation) is dropped, and a fresh prompt shown. */
  clearLine(): void {
    this.#pending = [];
    // Keep what was typed on screen, as bash does, then start over on a new line.
    this.#rl.write(null, { ctrl: true, name: 'e' });
    process.stderr.write('^C\n');
    (this.#rl as unknown as { line: string; cursor: number }).line = '';
    (this.#rl as unknown as { line: string; cursor: number }).cursor = 0;
    this.#rl.setPrompt(this.#promptAfterClear);
    this.#rl.prompt();
  }

  #promptAfterClear = '';

  #show(prompt: string): void {
    this.#promptAfterClear = prompt === '> ' ? this.#promptAfterClear : prompt;
    this.#rl.setPrompt(prompt);
    if (this.#terminal && this.#lines.length === 0 && !this.#ended) this.#rl.prompt();
  }
}
