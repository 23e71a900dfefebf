/**
 * Spawned processes, measured side by side in one run:
 *
 * 1. `run('true')` round trip of a warm runner, with and without a spawned process beside it whose
 *    output the host reads at 50 MB/s (`cat /dev/zero`, paced by the reader: backpressure holds
 *    the rest back). The two are measured in alternating blocks, so drifting load weighs on both.
 * 2. `spawn('true')` to its exit (`wait()`), against the same `true` through the `docker exec` CLI
 *    and through dockerode's exec API (create, start attached, read to the end, inspect), one of
 *    each per round.
 *
 * Usage: npm run bench   (BENCH_ITERATIONS, default 2000: run() round trips per side;
 *                         BENCH_EXEC_ITERATIONS, default 200: rounds of the spawn/exec paths)
 * Prints two tables and writes the figures to bench/results/spawn.json.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { DockerRunner } from '../src/docker/docker-runner.js';
import type { SandboxProcess } from '../src/docker/spawn/sandbox-process.js';
import { positiveIntegerFromEnv } from './lib/env.js';
import { type PathResult, measureInterleaved, summarize, printTable } from './lib/paths.js';
import { benchEnvironment } from './lib/environment.js';
import { execTrue } from './lib/exec-true.js';

const RESULTS_FILE = new URL('./results/spawn.json', import.meta.url);
const FLOOD_BYTES_PER_SECOND = 50_000_000;
const BLOCKS = 4;
const RUN_WARMUP = 100;
const EXEC_WARMUP = 5;

const execFileAsync = promisify(execFile);

async function time(roundTrip: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await roundTrip();
  return performance.now() - start;
}

/** Reads the process's stdout at `bytesPerSecond`, pausing it when ahead; returns the bytes read so far. */
function readPaced(proc: SandboxProcess, bytesPerSecond: number): () => number {
  const started = performance.now();
  let read = 0;
  proc.stdout.on('data', (chunk: Buffer) => {
    read += chunk.length;
    const aheadMs = (read / bytesPerSecond) * 1000 - (performance.now() - started);
    if (aheadMs > 1) {
      proc.stdout.pause();
      setTimeout(() => proc.stdout.resume(), aheadMs);
    }
  });
  return () => read;
}

async function runTrue(runner: DockerRunner): Promise<void> {
  const result = await runner.run('true');
  if (result.exitCode !== 0) throw new Error(`true exited with ${result.exitCode}: ${result.output}`);
}

/** run('true') alone and beside a 50 MB/s flood, in alternating blocks; and the flood's measured rate. */
async function benchRunBesideFlood(runner: DockerRunner, iterations: number): Promise<{ results: PathResult[]; floodBytesPerSecond: number }> {
  const perBlock = Math.max(1, Math.ceil(iterations / BLOCKS));
  process.stderr.write(`run('true') alone / beside a 50 MB/s flood: ${RUN_WARMUP} warm-up + ${BLOCKS} x ${perBlock} each...\n`);
  for (let i = 0; i < RUN_WARMUP; i++) await runTrue(runner);
  const alone: number[] = [];
  const beside: number[] = [];
  let floodBytes = 0;
  let floodMs = 0;
  for (let block = 0; block < BLOCKS; block++) {
    for (let i = 0; i < perBlock; i++) alone.push(await time(() => runTrue(runner)));
    const flood = await runner.spawn('exec cat /dev/zero');
    const readSoFar = readPaced(flood, FLOOD_BYTES_PER_SECOND);
    const floodStart = performance.now();
    for (let i = 0; i < perBlock; i++) beside.push(await time(() => runTrue(runner)));
    floodBytes += readSoFar();
    floodMs += performance.now() - floodStart;
    await flood.kill('SIGKILL');
    flood.stdout.resume();
    await flood.wait();
  }
  return {
    results: [summarize("run('true') alone", alone), summarize("run('true') beside 50 MB/s", beside)],
    floodBytesPerSecond: floodBytes / (floodMs / 1000),
  };
}

/** `true` to its exit through spawn(), the docker exec CLI and dockerode's exec API, one of each per round. */
async function benchSpawnTrue(runner: DockerRunner, docker: Dockerode, rounds: number): Promise<PathResult[]> {
  const id = runner.id as string;
  const container = docker.getContainer(id);
  const paths: Record<string, () => Promise<void>> = {
    "spawn('true') to exit": async () => {
      const { exitCode } = await (await runner.spawn('true')).wait();
      if (exitCode !== 0) throw new Error(`spawn('true') exited with ${exitCode}`);
    },
    'docker exec CLI': async () => {
      await execFileAsync('docker', ['exec', id, 'true']);
    },
    'dockerode exec API': () => execTrue(container),
  };
  return measureInterleaved(paths, EXEC_WARMUP, rounds);
}

async function main(): Promise<void> {
  const iterations = positiveIntegerFromEnv('BENCH_ITERATIONS', 2000);
  const execIterations = positiveIntegerFromEnv('BENCH_EXEC_ITERATIONS', 200);
  const docker = new Dockerode();
  const runner = new DockerRunner({ docker });
  try {
    await runner.start();
    const flood = await benchRunBesideFlood(runner, iterations);
    const spawnPaths = await benchSpawnTrue(runner, docker, execIterations);
    printTable(flood.results, flood.results[0] as PathResult);
    console.log(`(flood read at ${(flood.floodBytesPerSecond / 1e6).toFixed(1)} MB/s)`);
    console.log();
    printTable(spawnPaths, spawnPaths[1] as PathResult);
    await mkdir(new URL('.', RESULTS_FILE), { recursive: true });
    const json = {
      ...(await benchEnvironment(docker)),
      iterations,
      execIterations,
      floodBytesPerSecond: flood.floodBytesPerSecond,
      paths: [...flood.results, ...spawnPaths],
    };
    await writeFile(RESULTS_FILE, `${JSON.stringify(json, null, 2)}\n`);
  } finally {
    await runner.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
