/**
 * Running the `docker-shell` command from source in the CLI tests, and finding the containers it
 * made by the label each test gives them.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { docker, removeContainers } from '../helpers/docker.js';

/** The repository's root: the CLI runs from there, as `npm run cli` does. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** `node --import tsx src/cli/main.ts`: one process (tsx's own CLI would add a second), ~0.45 s to start here. */
export const CLI_COMMAND = [process.execPath, '--import', 'tsx', 'src/cli/main.ts'] as const;

/** What a finished CLI process left. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

/** Options of {@link cli}. */
export interface CliOptions {
  /** Extra environment variables; `undefined` removes one. */
  env?: Record<string, string | undefined>;
  /** Written to the CLI's stdin, which is then closed. Default: nothing (stdin closed at once). */
  input?: string;
  cwd?: string;
}

/** Starts the CLI with `args`; stdin, stdout and stderr are pipes. */
export function startCli(args: readonly string[], options: CliOptions = {}): ChildProcessWithoutNullStreams {
  // No reaper: a container left behind must be the CLI's fault, seen at once, not tidied up later.
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', DOCKER_SHELL_REAPER: '0' };
  delete env.FORCE_COLOR;
  delete env.DEBUG;
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const [command, ...prefix] = CLI_COMMAND;
  return spawn(command, [...prefix, ...args], { cwd: options.cwd ?? ROOT, env, stdio: 'pipe' });
}

/** Collects a started CLI's output until it exits. */
export function finished(child: ChildProcessWithoutNullStreams): Promise<CliResult> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const stdoutBytes = Buffer.concat(out);
      resolve({ code, signal, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes });
    });
  });
}

/** Runs the CLI to the end. */
export function cli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const child = startCli(args, options);
  const result = finished(child);
  child.stdin.end(options.input ?? '');
  return result;
}

/** Resolves with everything `stream` has carried once it contains `text` (it must come: no timer). */
export function waitForText(stream: NodeJS.ReadableStream, text: string | RegExp): Promise<string> {
  let seen = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString('utf8');
      if (typeof text === 'string' ? seen.includes(text) : text.test(seen)) {
        stream.off('data', onData);
        resolve(seen);
      }
    };
    stream.on('data', onData);
    stream.once('end', () => reject(new Error(`the stream ended before ${String(text)}; it carried:\n${seen}`)));
  });
}

/** The label key every container of the CLI tests carries, with a value of its own per test. */
export const TEST_LABEL = 'dev.docker-shell.test-cli';

/** A fresh label value, and the `--label` flag that puts it on a container. */
export function newLabel(): { value: string; flag: string[] } {
  const value = randomUUID();
  return { value, flag: ['--label', `${TEST_LABEL}=${value}`] };
}

/**
 * Checks that no container carries the test label with one of `values` (the CLI removed them all),
 * then removes any that do, so a failed test leaves nothing behind.
 */
export async function expectNoContainers(values: string[]): Promise<void> {
  const left = new Map<string, string[]>();
  for (const value of values) {
    const ids = await containersWithLabel(value);
    if (ids.length > 0) left.set(value, ids);
  }
  await removeContainers([...left.values()].flat());
  expect(Object.fromEntries(left), 'containers the CLI left behind, by label').toEqual({});
}

/** Ids of the containers (running or not) that carry the test label with `value`. */
export async function containersWithLabel(value: string): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=${value}`] } });
  return list.map((container) => container.Id);
}

/** The non-empty lines of `text`. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}
