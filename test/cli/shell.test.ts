/**
 * `docker-shell shell` through a real terminal (tmux: send-keys in, capture-pane out), and with a
 * piped stdin. tmux comes with `npm run setup` (scripts/ensure-tmux.sh).
 */
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { docker } from '../helpers/docker.js';
import { CLI_COMMAND, cli, containersWithLabel, expectNoContainers, newLabel } from './cli-process.js';
import { Terminal } from './terminal.js';

const terminals: Terminal[] = [];
const labels: string[] = [];

afterEach(async () => {
  await Promise.all(terminals.splice(0).map((terminal) => terminal.close()));
  await expectNoContainers(labels.splice(0));
});

function hasTmux(): boolean {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The line-mode shell command line for the pane (`--no-tty`: a pane is a terminal), with this test's label. */
function shellCommandLine(): { line: string; label: string } {
  const { value, flag } = newLabel();
  labels.push(value);
  // No reaper: the CLI itself must remove its container.
  const quoted = [...CLI_COMMAND, 'shell', '--no-tty', ...flag].map((word) => `'${word}'`).join(' ');
  return { line: `DOCKER_SHELL_REAPER=0 ${quoted}`, label: value };
}

/** The last line of the screen is this prompt (the cursor after it). */
function promptIs(prompt: RegExp): (screen: string) => boolean {
  return (screen) => prompt.test(screen.split('\n').at(-1) ?? '');
}

/** Starts `docker-shell shell` in a new tmux pane and waits for its first prompt. */
async function openShell(): Promise<{ terminal: Terminal; label: string }> {
  const terminal = new Terminal();
  terminals.push(terminal);
  const { line, label } = shellCommandLine();
  await terminal.start(line);
  await terminal.waitFor(promptIs(/^\[0\] ~ \$$/), 'the first prompt');
  return { terminal, label };
}

describe('docker-shell shell in a terminal (tmux)', () => {
  it('needs tmux (npm run setup installs it)', () => {
    expect(hasTmux(), 'tmux is not installed: run `npm run setup` (as root on Debian it installs tmux)').toBe(true);
  });

  it('runs lines, shows exit codes in the prompt; Ctrl-C interrupts sleep 100 and keeps cwd and variables; Ctrl-D removes the container', async () => {
    const { terminal, label } = await openShell();
    const [id] = await containersWithLabel(label);
    expect(id).toBeDefined();
    expect((await terminal.screen()).split('\n')).toContain('docker-shell: Ctrl-C interrupts a command, Ctrl-D or `exit` leaves (the sandbox is removed)');

    await terminal.keys('cd /tmp && X=42', 'Enter');
    await terminal.waitFor(promptIs(/^\[0\] \/tmp \$$/), 'the prompt in /tmp');
    await terminal.keys('false', 'Enter');
    await terminal.waitFor(promptIs(/^\[1\] \/tmp \$$/), 'exit code 1 in the prompt');

    // Ctrl-C once sleep really runs in the container: the command is interrupted, the session stays.
    await terminal.keys('sleep 100', 'Enter');
    await waitForProcess(id as string, 'sleep 100');
    await terminal.keys('C-c');
    const afterInterrupt = await terminal.waitFor(promptIs(/^\[(130|137)\] \/tmp \$$/), 'the prompt after Ctrl-C');
    expect(afterInterrupt).toMatch(/^\[1\] \/tmp \$ sleep 100\n\^C\n/m);
    expect(await processes(id as string)).not.toContain('sleep 100');
    await terminal.keys('echo "$X $(pwd)"', 'Enter');
    await terminal.waitFor(/^42 \/tmp\n\[0\] \/tmp \$$/m, 'the variable and cwd kept');

    // Ctrl-C at the prompt drops the typed line; nothing runs.
    await terminal.keys('echo dropped-line');
    await terminal.waitFor(promptIs(/echo dropped-line$/), 'the typed line');
    await terminal.keys('C-c');
    await terminal.waitFor(/\$ echo dropped-line\^C\n\[0\] \/tmp \$$/, 'a fresh prompt after ^C');
    await terminal.keys('echo after', 'Enter');
    const screen = await terminal.waitFor(/^after\n\[0\] \/tmp \$$/m, 'the next command');
    expect(screen.split('\n')).not.toContain('dropped-line');

    // A line continued with a backslash.
    await terminal.keys('echo one \\', 'Enter', 'two', 'Enter');
    await terminal.waitFor(/^one two\n\[0\] \/tmp \$$/m, 'the continued line');

    await terminal.keys('C-d');
    const end = await terminal.waitFor(/\[exited \d+\]/, 'the shell leaving');
    expect(end).toContain(`docker-shell: sandbox ${(id as string).slice(0, 12)} removed\n[exited 0]`);
    expect(await containersWithLabel(label)).toEqual([]);
  });

  it('`exit 3` leaves with exit code 3 and removes the container', async () => {
    const { terminal, label } = await openShell();
    await terminal.keys('exit 3', 'Enter');
    await terminal.waitFor(/sandbox [0-9a-f]{12} removed\n\[exited 3\]/, 'the shell leaving with 3');
    expect(await containersWithLabel(label)).toEqual([]);
  });
});

describe('docker-shell shell when its terminal goes away', () => {
  it('a hang-up (SIGHUP) while a command runs interrupts it and removes the container before exiting', async () => {
    const { terminal, label } = await openShell();
    const [id] = await containersWithLabel(label);
    await terminal.keys('sleep 100', 'Enter');
    await waitForProcess(id as string, 'sleep 100');
    await terminal.close(); // waits for the CLI to exit
    expect(await containersWithLabel(label)).toEqual([]);
  });
});

describe('docker-shell shell with a piped stdin', () => {
  it('runs each line in one session, says non-zero exit codes on stderr, and leaves with the last code at end of input', async () => {
    const { value, flag } = newLabel();
    labels.push(value);
    const input = 'cd /tmp\nX=5\necho "$X $(pwd)"\nfalse\necho a \\\nb\n';
    const { code, stdout, stderr } = await cli(['shell', ...flag], { input });
    expect(stdout).toBe('5 /tmp\na b\n');
    expect(stderr).toContain('[exit 1]\n');
    expect(stderr).toMatch(/docker-shell: sandbox [0-9a-f]{12} removed\n$/);
    expect(code).toBe(0);
  });

  it('`exit 4` leaves with 4; the lines after it do not run', async () => {
    const { value, flag } = newLabel();
    labels.push(value);
    const { code, stdout } = await cli(['shell', ...flag], { input: 'echo before\nexit 4\necho after\n' });
    expect(stdout).toBe('before\n');
    expect(code).toBe(4);
  });
});

/** The command lines of the container's processes (`ps -ef`'s last column). */
async function processes(id: string): Promise<string[]> {
  const top = (await docker.getContainer(id).top()) as { Processes?: string[][] };
  return (top.Processes ?? []).map((row) => row.at(-1) ?? '');
}

/** Resolves once the container runs a process with exactly this command line (polled, 30 s at most). */
async function waitForProcess(id: string, args: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await processes(id)).includes(args)) {
    if (Date.now() > deadline) throw new Error(`no process \`${args}\` appeared in ${id}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
