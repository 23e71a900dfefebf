/**
 * `docker-shell shell --tty` (the default at a terminal) through a real terminal: tmux drives it
 * with send-keys and reads it with capture-pane. A full-screen program (`less`) runs in a test
 * image derived from the base image, built once and kept by tag.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BASE_IMAGE, buildImage } from '../../src/docker/images.js';
import { docker } from '../helpers/docker.js';
import { CLI_COMMAND, containersWithLabel, expectNoContainers, newLabel } from './cli-process.js';
import { Terminal } from './terminal.js';

const run = promisify(execFile);

/** The base image with `less`, installed over Docker's bridge network at build time. */
const LESS_IMAGE = 'docker-shell-test/pty-less:1';

const terminals: Terminal[] = [];
const labels: string[] = [];

beforeAll(async () => {
  const present = await docker
    .getImage(LESS_IMAGE)
    .inspect()
    .then(() => true)
    .catch(() => false);
  if (present) return;
  await buildImage(docker, {
    tag: LESS_IMAGE,
    dockerfile: [
      `FROM ${BASE_IMAGE}`,
      'USER root',
      'RUN apt-get update && apt-get install -y --no-install-recommends less && rm -rf /var/lib/apt/lists/*',
    ].join('\n'),
  });
}, 300_000);

afterEach(async () => {
  await Promise.all(terminals.splice(0).map((terminal) => terminal.close()));
  await expectNoContainers(labels.splice(0));
});

/** The last line of the screen ends with bash's prompt (the cursor after it). */
function atPrompt(screen: string): boolean {
  return /\$$/.test(screen.split('\n').at(-1) ?? '');
}

/** Starts `docker-shell shell` (no --tty: a pane is a terminal) in a new 120x40 tmux pane and waits for bash's prompt. */
async function openShell(...flags: string[]): Promise<{ terminal: Terminal; label: string; id: string }> {
  const terminal = new Terminal();
  terminals.push(terminal);
  const { value, flag } = newLabel();
  labels.push(value);
  const quoted = [...CLI_COMMAND, 'shell', '--image', LESS_IMAGE, '--pull', 'never', ...flag, ...flags].map((word) => `'${word}'`).join(' ');
  // No reaper: the CLI itself must remove its container.
  await terminal.start(`DOCKER_SHELL_REAPER=0 ${quoted}`);
  await terminal.waitFor(atPrompt, "bash's prompt");
  const [id] = await containersWithLabel(value);
  if (!id) throw new Error('no container carries the test label');
  return { terminal, label: value, id };
}

/** Types `line` and resolves with what it printed: the lines between its own echo and the next prompt. */
async function say(terminal: Terminal, line: string): Promise<string> {
  const marker = `m${Math.random().toString(36).slice(2, 8)}`;
  await terminal.keys(`echo ${marker}; ${line}; echo ${marker}-end`, 'Enter');
  const screen = await terminal.waitFor((text) => text.includes(`\n${marker}-end\n`) && atPrompt(text), `the output of ${line}`);
  const start = screen.lastIndexOf(`\n${marker}\n`) + marker.length + 2;
  return screen.slice(start, screen.lastIndexOf(`\n${marker}-end\n`) + 1);
}

/**
 * After the CLI has left, the pane runs `cat`: in a restored (cooked) terminal a typed line shows
 * twice, echoed by the terminal and printed back by cat; in a raw one, only cat's copy.
 */
async function expectCookedTerminal(terminal: Terminal): Promise<void> {
  await terminal.keys('cooked-check', 'Enter');
  await terminal.waitFor(/^cooked-check\ncooked-check$/m, 'the line echoed by a cooked terminal, then by cat');
}

/** The CLI's own process in the pane (the node process under the pane's shell). */
async function cliPid(terminal: Terminal): Promise<number> {
  const { stdout } = await run('pgrep', ['-P', String(await terminal.panePid()), '-f', 'src/cli/main.ts']);
  return Number(stdout.trim().split('\n')[0]);
}

async function processes(id: string): Promise<string[]> {
  const top = (await docker.getContainer(id).top()) as { Processes?: string[][] };
  return (top.Processes ?? []).map((row) => row.at(-1) ?? '');
}

async function waitForProcess(id: string, args: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await processes(id)).includes(args)) {
    if (Date.now() > deadline) throw new Error(`no process \`${args}\` appeared in ${id}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('docker-shell shell --tty in a terminal (tmux)', () => {
  it('is a real terminal of the local size that follows a resize; Ctrl-C interrupts sleep and the shell lives; less runs full screen', async () => {
    const { terminal, label, id } = await openShell();
    expect(await say(terminal, 'tty')).toMatch(/^\/dev\/pts\/\d+\n$/);
    expect(await say(terminal, 'stty size')).toBe('40 120\n');

    await terminal.resize(100, 30);
    expect(await say(terminal, 'stty size')).toBe('30 100\n');

    await terminal.keys('X=kept; sleep 100', 'Enter');
    await waitForProcess(id, 'sleep 100');
    await terminal.keys('C-c');
    await terminal.waitFor((screen) => /sleep 100\n\^C\n/.test(screen) && atPrompt(screen), 'the prompt after ^C');
    expect(await processes(id)).not.toContain('sleep 100');
    expect(await say(terminal, 'echo "$X"')).toBe('kept\n');

    // A full-screen program: its own screen, its status line on the last row, redrawn on resize.
    await terminal.keys('clear; seq 1 500 | less', 'Enter');
    let screen = await terminal.waitFor((text) => text.split('\n').length === 30 && /^:$/.test(text.split('\n').at(-1) ?? ''), "less's prompt on row 30");
    expect(screen.split('\n').slice(0, 29)).toEqual(Array.from({ length: 29 }, (_, i) => String(i + 1)));
    await terminal.resize(100, 20);
    screen = await terminal.waitFor((text) => text.split('\n').length === 20 && /^:$/.test(text.split('\n').at(-1) ?? ''), "less's prompt on row 20");
    await terminal.keys('G');
    screen = await terminal.waitFor(/^500\n\(END\)$/m, 'the end of the text');
    await terminal.keys('q');
    screen = await terminal.waitFor(atPrompt, 'the prompt after less');
    expect(screen).not.toMatch(/^500$/m); // less's screen is gone: the alternate screen was left

    await terminal.keys('exit 3', 'Enter');
    await terminal.waitFor(/sandbox [0-9a-f]{12} removed\n\[exited 3\]/, 'the shell leaving with 3');
    expect(await containersWithLabel(label)).toEqual([]);
    await expectCookedTerminal(terminal);
  });

  it('Ctrl-D leaves with 0, removes the container and restores the terminal', async () => {
    const { terminal, label } = await openShell();
    await terminal.keys('C-d');
    await terminal.waitFor(/sandbox [0-9a-f]{12} removed\n\[exited 0\]/, 'the shell leaving with 0');
    expect(await containersWithLabel(label)).toEqual([]);
    await expectCookedTerminal(terminal);
  });

  it('a container killed under it: says so, leaves with 137 (SIGKILL) and restores the terminal, even from inside less', async () => {
    const { terminal, id } = await openShell();
    await terminal.keys('seq 1 500 | less', 'Enter');
    await terminal.waitFor(/^:$/m, "less's prompt");
    await docker.getContainer(id).kill();
    const screen = await terminal.waitFor(/\[exited \d+\]/, 'the shell leaving');
    expect(screen).toMatch(/docker-shell: the sandbox went away.*\n(?:.*\n)*docker-shell: sandbox [0-9a-f]{12} removed\n\[exited 137\]/);
    expect(screen).not.toMatch(/^\d+$/m); // the alternate screen of less was left
    await expectCookedTerminal(terminal);
  });

  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    it(`${signal} to the CLI removes the container, leaves with 128 + n and restores the terminal`, async () => {
      const { terminal, label } = await openShell();
      await terminal.keys('sleep 100', 'Enter');
      process.kill(await cliPid(terminal), signal);
      const code = signal === 'SIGTERM' ? 143 : 129;
      await terminal.waitFor(new RegExp(`sandbox [0-9a-f]{12} removed\\n\\[exited ${code}\\]`), `the CLI leaving with ${code}`);
      expect(await containersWithLabel(label)).toEqual([]);
      await expectCookedTerminal(terminal);
    });
  }
});
