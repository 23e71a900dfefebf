/**
 * What the host pays when a command misbehaves, beside a baseline in the same run:
 *
 * 1. Peak RSS of this process while a command prints 1 GiB, through a DockerRunner (output capped
 *    at the default 16 MiB) and through a local bash session; the baseline is the RSS before.
 * 2. Time from `docker kill` of the container to the rejection of the command that was running,
 *    beside the round trip of a `docker kill` API call alone.
 *
 * Usage: npm run bench:faults   (FLOOD_BYTES, default 1 GiB; KILL_ROUNDS, default 5)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import Dockerode from 'dockerode';
import { DockerRunner } from '../src/docker/docker-runner.js';
import { startLocalSession } from '../src/session/local-bash.js';
import type { CommandResult } from '../src/session/command-result.js';
import { positiveIntegerFromEnv } from './lib/env.js';

const RESULTS_FILE = new URL('./results/faults.json', import.meta.url);
const FLOOD_BYTES = positiveIntegerFromEnv('FLOOD_BYTES', 1024 ** 3);
const KILL_ROUNDS = positiveIntegerFromEnv('KILL_ROUNDS', 5);
const MiB = 1024 ** 2;

interface FloodFigures {
  path: string;
  seconds: number;
  mbPerSecond: number;
  peakRssMiB: number;
  rssBeforeMiB: number;
  keptBytes: number;
  droppedBytes: number;
}

/** Runs `flood` while sampling RSS every 20 ms; returns the peak along with the result. */
async function withPeakRss(flood: () => Promise<CommandResult>): Promise<{ result: CommandResult; peak: number; before: number; seconds: number }> {
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const start = performance.now();
  try {
    const result = await flood();
    return { result, peak: Math.max(peak, process.memoryUsage().rss), before, seconds: (performance.now() - start) / 1000 };
  } finally {
    clearInterval(sampler);
  }
}

function floodFigures(path: string, run: Awaited<ReturnType<typeof withPeakRss>>): FloodFigures {
  const { result, peak, before, seconds } = run;
  if (result.exitCode !== 0 || result.droppedBytes + result.stdout.length < FLOOD_BYTES * 0.99) {
    throw new Error(`${path}: the flood did not come through: exit ${result.exitCode}, ${result.droppedBytes} dropped`);
  }
  return {
    path,
    seconds,
    mbPerSecond: FLOOD_BYTES / MiB / seconds,
    peakRssMiB: peak / MiB,
    rssBeforeMiB: before / MiB,
    keptBytes: Buffer.byteLength(result.stdout),
    droppedBytes: result.droppedBytes,
  };
}

const FLOOD = `yes | head -c ${FLOOD_BYTES}`;

async function benchFloods(): Promise<FloodFigures[]> {
  const runner = await DockerRunner.start({ timeoutMs: 600_000 });
  const local = await startLocalSession();
  try {
    const viaRunner = floodFigures('DockerRunner', await withPeakRss(() => runner.run(FLOOD)));
    const viaLocal = floodFigures('local bash session', await withPeakRss(() => local.session.run(FLOOD)));
    return [viaRunner, viaLocal];
  } finally {
    await local.close();
    await runner.stop();
  }
}

/** ms from `docker kill` returning to the pending command's rejection, and the kill call itself. */
async function benchKills(docker: Dockerode): Promise<{ rejectAfterKillMs: number[]; killCallMs: number[] }> {
  const rejectAfterKillMs: number[] = [];
  const killCallMs: number[] = [];
  for (let round = 0; round < KILL_ROUNDS; round++) {
    const runner = await DockerRunner.start({ docker });
    try {
      const pending = runner.run('sleep 60').then(
        () => performance.now(),
        () => performance.now(),
      );
      // The command is in flight once the shell's first round trip is done; a `true` would queue.
      await waitForProcess(docker, runner.id as string, 'sleep 60');
      const start = performance.now();
      await docker.getContainer(runner.id as string).kill();
      const killed = performance.now();
      killCallMs.push(killed - start);
      rejectAfterKillMs.push((await pending) - killed);
    } finally {
      await runner.stop();
    }
  }
  return { rejectAfterKillMs, killCallMs };
}

async function waitForProcess(docker: Dockerode, id: string, program: string): Promise<void> {
  for (;;) {
    const top = await docker.getContainer(id).top();
    if (top.Processes.some((p: string[]) => p.at(-1)?.includes(program))) return;
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const docker = new Dockerode();
  const floods = await benchFloods();
  const kills = await benchKills(docker);
  console.log(`Flood of ${FLOOD_BYTES / MiB} MiB of output (\`${FLOOD}\`):`);
  console.log('path               | seconds |  MB/s | RSS before MiB | peak RSS MiB | kept bytes | dropped bytes');
  console.log('-------------------|---------|-------|----------------|--------------|------------|--------------');
  for (const f of floods) {
    console.log(
      `${f.path.padEnd(18)} | ${f.seconds.toFixed(2).padStart(7)} | ${f.mbPerSecond.toFixed(0).padStart(5)} | ${f.rssBeforeMiB.toFixed(0).padStart(14)} | ${f.peakRssMiB.toFixed(0).padStart(12)} | ${String(f.keptBytes).padStart(10)} | ${String(f.droppedBytes).padStart(13)}`,
    );
  }
  console.log();
  console.log(
    `docker kill -> pending command rejected, ${KILL_ROUNDS} rounds: median ${median(kills.rejectAfterKillMs).toFixed(1)} ms, max ${Math.max(...kills.rejectAfterKillMs).toFixed(1)} ms (target < 2000)`,
  );
  console.log(
    `the docker kill API call itself:            median ${median(kills.killCallMs).toFixed(1)} ms, max ${Math.max(...kills.killCallMs).toFixed(1)} ms`,
  );
  await mkdir(new URL('.', RESULTS_FILE), { recursive: true });
  await writeFile(RESULTS_FILE, `${JSON.stringify({ date: new Date().toISOString(), floodBytes: FLOOD_BYTES, floods, kills }, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
