/** A real terminal for the CLI tests: tmux, driven with send-keys and read with capture-pane. */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { ROOT } from './cli-process.js';

const run = promisify(execFile);

/** One tmux server of its own (its own socket, this process's environment), one pane. */
export class Terminal {
  readonly #socket = `docker-shell-test-${randomUUID()}`;

  /** Starts `command` in a 120x40 pane; when it exits, the pane says `[exited N]` and stays. */
  async start(command: string): Promise<void> {
    const script = `${command}; echo "[exited $?]"; exec cat`;
    await this.#tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'main', '-x', '120', '-y', '40', '-c', ROOT, script);
  }

  async keys(...keys: string[]): Promise<void> {
    await this.#tmux('send-keys', '-t', 'main', ...keys);
  }

  /** Resizes the window (and its one pane) to `cols` x `rows`: the program in it gets SIGWINCH. */
  async resize(cols: number, rows: number): Promise<void> {
    await this.#tmux('resize-window', '-t', 'main', '-x', String(cols), '-y', String(rows));
  }

  /** The pid of the pane's shell (the `sh -c` that runs the command given to `start()`). */
  async panePid(): Promise<number> {
    const { stdout } = await this.#tmux('display-message', '-p', '-t', 'main', '#{pane_pid}');
    return Number(stdout.trim());
  }

  /** The pane's text (colours stripped, wrapped lines joined), trailing blank lines dropped. */
  async screen(): Promise<string> {
    const { stdout } = await this.#tmux('capture-pane', '-p', '-J', '-t', 'main');
    return stdout.trimEnd();
  }

  /**
   * Resolves with the screen once `predicate` holds for it, polling the pane: the terminal is the
   * event source, and capture-pane is how it is read. Fails with the screen after 30 s.
   */
  async waitFor(predicate: RegExp | ((screen: string) => boolean), what = String(predicate)): Promise<string> {
    const test = typeof predicate === 'function' ? predicate : (screen: string) => predicate.test(screen);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const screen = await this.screen();
      if (test(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`the terminal never showed ${what}; it shows:\n${screen}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * Kills the tmux server, which hangs up the pane: a CLI still running there gets SIGHUP and
   * removes its sandbox before exiting. Resolves once the pane's processes are gone.
   */
  async close(): Promise<void> {
    const pane = await this.#tmux('display-message', '-p', '-t', 'main', '#{pane_pid}').catch(() => undefined);
    const children = pane ? await run('pgrep', ['-P', pane.stdout.trim()]).catch(() => ({ stdout: '' })) : { stdout: '' };
    const pids = [pane?.stdout, ...children.stdout.split('\n')].map((pid) => Number(pid?.trim())).filter((pid) => pid > 0);
    await this.#tmux('kill-server').catch(() => {});
    const deadline = Date.now() + 30_000;
    while (pids.some(isAlive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  }

  #tmux(...args: string[]): Promise<{ stdout: string }> {
    return run('tmux', ['-L', this.#socket, ...args]);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
