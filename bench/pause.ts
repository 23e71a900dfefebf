/**
 * Pause and resume, measured side by side in one run, one of each path per round (interleaved, so
 * drifting load weighs on all):
 *
 * 1. `run('true')` round trip of a warm runner: the baseline.
 * 2. `runner.pause()` then `runner.resume()`: one freeze and thaw through the runner.
 * 3. The engine's own pause + unpause through dockerode, on the same container: the floor.
 * 4. `run('true')` sent while paused, then `resume()`, until its result: what a command that meets a
 *    paused sandbox pays on top of the thaw.
 *
 * Usage: npm run bench   (BENCH_PAUSE_ITERATIONS, default 200: measured rounds)
 * Prints a table and writes the figures to bench/results/pause.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import Dockerode from 'dockerode';
import { DockerRunner } from '../src/docker/docker-runner.js';
import { positiveIntegerFromEnv } from './lib/env.js';
import { type PathResult, measureInterleaved, printTable } from './lib/paths.js';
import { benchEnvironment } from './lib/environment.js';

const RESULTS_FILE = new URL('./results/pause.json', import.meta.url);
const WARMUP = 10;

async function runTrue(runner: DockerRunner): Promise<void> {
  const result = await runner.run('true');
  if (result.exitCode !== 0) throw new Error(`true exited with ${result.exitCode}: ${result.output}`);
}

/**
 * The engine's pause flag can lag for tens of milliseconds after the previous round (a late event
 * sets it back), and it refuses on that flag: retried, as the runner does.
 */
async function untilAccepted(call: () => Promise<unknown>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await call();
      return;
    } catch (error) {
      if (attempt >= 100 || (error as { statusCode?: number }).statusCode === 404) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

async function main(): Promise<void> {
  const rounds = positiveIntegerFromEnv('BENCH_PAUSE_ITERATIONS', 200);
  const docker = new Dockerode();
  const runner = new DockerRunner({ docker });
  try {
    await runner.start();
    const container = docker.getContainer(runner.id as string);
    const paths: Record<string, () => Promise<void>> = {
      "run('true')": () => runTrue(runner),
      'pause() + resume()': async () => {
        await runner.pause();
        await runner.resume();
      },
      'engine pause + unpause (dockerode)': async () => {
        await untilAccepted(() => container.pause());
        await untilAccepted(() => container.unpause());
      },
      "run('true') sent paused, then resume()": async () => {
        await runner.pause();
        const result = runTrue(runner);
        await runner.resume();
        await result;
      },
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
