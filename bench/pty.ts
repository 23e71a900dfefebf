/**
 * Terminals, measured side by side in one run: the keystroke echo round trip (write one byte to a
 * terminal, wait until it is echoed back), against the session's `run('true')` round trip and the
 * same byte through a spawned process without a terminal, on one warm runner:
 *
 * 1. `run('true')`: the session's command round trip, the baseline;
 * 2. `pty()` running `cat`: the terminal's line discipline echoes the byte (the kernel, in the
 *    sandbox), as when typing at a program that reads lines;
 * 3. `pty()` running an interactive bash: readline reads the byte in raw mode and echoes it, as when
 *    typing at the prompt;
 * 4. `spawn('cat')`: the byte through stdin and back out of stdout, no terminal.
 *
 * Each round measures one of each, interleaved. On a terminal, each `a` is followed by a backspace,
 * waited for but not counted, so the line stays short.
 *
 * Usage: npm run bench   (BENCH_PTY_ITERATIONS, default 1000: rounds)
 * Prints a table and writes the figures to bench/results/pty.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import Dockerode from 'dockerode';
import { DockerRunner } from '../src/docker/docker-runner.js';
import { positiveIntegerFromEnv } from './lib/env.js';
import { type MeasuredPath, type PathResult, measureInterleaved, printTable } from './lib/paths.js';
import { benchEnvironment } from './lib/environment.js';

const RESULTS_FILE = new URL('./results/pty.json', import.meta.url);
const WARMUP = 100;
const BACKSPACE = '\x7f';

/** Round trips of one byte over `write` until `output` carries its echo, one at a time. */
class Echo {
  readonly #write: (data: string) => void;
  #seen = '';
  #expected = '';
  #resolve: (() => void) | undefined;

  constructor(output: Readable, write: (data: string) => void) {
    this.#write = write;
    output.on('data', (chunk: Buffer) => {
      this.#seen += chunk.toString('latin1');
      this.#check();
    });
  }

  /** Resolves once the output (since the last `type()`) carries `text`. */
  until(text: string): Promise<void> {
    this.#expected = text;
    const seen = new Promise<void>((resolve) => (this.#resolve = resolve));
    this.#check();
    return seen;
  }

  /** Types `data` and resolves with the ms until `expected` came back. */
  async type(data: string, expected: string): Promise<number> {
    this.#seen = '';
    const echoed = this.until(expected);
    const start = performance.now();
    this.#write(data);
    await echoed;
    return performance.now() - start;
  }

  #check(): void {
    if (this.#resolve && this.#seen.includes(this.#expected)) {
      const resolve = this.#resolve;
      this.#resolve = undefined;
      resolve();
    }
  }
}

/** A keystroke `a` until its echo, then a backspace until its `\b`, so the line stays short. */
function keystrokes(echo: Echo): MeasuredPath {
  return { measure: () => echo.type('a', 'a'), reset: () => echo.type(BACKSPACE, '\b') };
}

async function main(): Promise<void> {
  const rounds = positiveIntegerFromEnv('BENCH_PTY_ITERATIONS', 1000);
  const docker = new Dockerode();
  const runner = new DockerRunner({ docker });
  try {
    await runner.start();
    const catPty = await runner.pty({ command: 'cat' });
    const bashPty = await runner.pty();
    const spawned = await runner.spawn('cat');
    const bashEcho = new Echo(bashPty.output, (data) => bashPty.write(data));
    // The prompt first, so no keystroke is typed ahead of readline.
    await bashEcho.until('$ ');
    const spawnEcho = new Echo(spawned.stdout, (data) => spawned.stdin.write(data));
    const paths: Record<string, MeasuredPath> = {
      "run('true') round trip": {
        measure: async () => {
          const start = performance.now();
          const { exitCode } = await runner.run('true');
          if (exitCode !== 0) throw new Error(`true exited with ${exitCode}`);
          return performance.now() - start;
        },
      },
      'pty keystroke echo: cat (line discipline)': keystrokes(new Echo(catPty.output, (data) => catPty.write(data))),
      'pty keystroke echo: bash prompt (readline)': keystrokes(bashEcho),
      'spawn: a byte through cat, no terminal': { measure: () => spawnEcho.type('a', 'a') },
    };
    const results = await measureInterleaved(paths, WARMUP, rounds);
    printTable(results, results[0] as PathResult);
    await mkdir(new URL('.', RESULTS_FILE), { recursive: true });
    await writeFile(RESULTS_FILE, `${JSON.stringify({ ...(await benchEnvironment(docker)), rounds, paths: results }, null, 2)}\n`);
  } finally {
    await runner.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
