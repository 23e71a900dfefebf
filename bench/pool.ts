/**
 * What the runner and the pool cost and buy, each figure beside a baseline measured in the same run:
 *
 * 1. Stdout throughput of a command printing THROUGHPUT_BYTES of zeros (result capped by the default
 *    maxOutputBytes, so memory stays bounded): DockerRunner vs the session over a local bash vs
 *    `docker exec <id> sh -c '...'` through the CLI, its stdout piped into this process and counted.
 * 2. Cold start to the first result (`start()` then `run('true')`) vs `docker run --rm <image> true`,
 *    interleaved, median of COLD_ROUNDS; and a warm pool's acquire -> run('true') -> release.
 * 3. POOL_JOBS jobs of 5 commands, a fresh container each: RunnerPool (policy 'destroy', min 2,
 *    max 4) vs one cold DockerRunner per job, both at concurrency 4; beside them the engine's own
 *    ceiling for fresh containers (`docker run --rm IMAGE true`, as many, 4 at a time) and, for
 *    what reuse buys where fresh containers are not needed, the pool with policy 'reuse' + reset.
 * 4. RSS of this process before and with IDLE_RUNNERS idle runners up.
 *
 * Usage: npx tsx bench/pool.ts   (POOL_JOBS 100, IDLE_RUNNERS 50, THROUGHPUT_BYTES 200000000, COLD_ROUNDS 10)
 * Prints a table per section and writes the figures to bench/results/pool.json.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import Dockerode from 'dockerode';
import { DockerRunner } from '../src/docker/docker-runner.js';
import { BASE_IMAGE } from '../src/docker/images.js';
import { RunnerPool } from '../src/pool/runner-pool.js';
import type { CommandResult } from '../src/session/command-result.js';
import { startLocalSession } from '../src/session/local-bash.js';
import { positiveIntegerFromEnv } from './lib/env.js';
import { benchEnvironment } from './lib/environment.js';

const RESULTS_FILE = new URL('./results/pool.json', import.meta.url);
const POOL_JOBS = positiveIntegerFromEnv('POOL_JOBS', 100);
const IDLE_RUNNERS = positiveIntegerFromEnv('IDLE_RUNNERS', 50);
const THROUGHPUT_BYTES = positiveIntegerFromEnv('THROUGHPUT_BYTES', 200_000_000);
const COLD_ROUNDS = positiveIntegerFromEnv('COLD_ROUNDS', 10);
const JOB_CONCURRENCY = 4;
/** Floods per path; the median one is reported. */
const THROUGHPUT_ROUNDS = 3;
const COMMANDS_PER_JOB = 5;
const IDLE_START_CONCURRENCY = 8;
/** Pause after each pooled job once the pool is back to `min` idle runners. */
const POOLED_PAUSE_MS = 50;
const MiB = 1024 ** 2;
const LONG_COMMAND = { timeoutMs: 600_000 };

// --- helpers ---------------------------------------------------------------------------------------

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

function expectSuccess(result: CommandResult): CommandResult {
  if (result.exitCode !== 0) throw new Error(`\`${result.command}\` exited with ${result.exitCode}: ${result.output.slice(0, 500)}`);
  return result;
}

/** Runs `fn(i)` for i in [0, n) with at most `concurrency` at once; rejects with the first failure. */
async function forEachConcurrent(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
}

/** Spawns a CLI command, counts the bytes of its stdout, and resolves when it exits 0. */
function spawnCounting(file: string, args: string[]): Promise<{ stdoutBytes: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdoutBytes = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve({ stdoutBytes });
      else reject(new Error(`${file} ${args.join(' ')} failed (${signal ?? code}): ${stderr.trim()}`));
    });
  });
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]): string => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join(' | ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const row of rows) console.log(line(row));
}

const log = (message: string): void => void process.stderr.write(`${message}\n`);

// --- 1. throughput ---------------------------------------------------------------------------------

interface ThroughputFigure {
  path: string;
  bytes: number;
  seconds: number;
  mbPerSecond: number;
  keptBytes?: number;
  droppedBytes?: number;
  /** MB/s of every round, in order. */
  roundsMbPerSecond?: number[];
}

const FLOOD = `head -c ${THROUGHPUT_BYTES} /dev/zero`;

/** The session's figure: every byte either kept (up to maxOutputBytes) or counted as dropped. */
async function timedFlood(path: string, run: () => Promise<CommandResult>): Promise<ThroughputFigure> {
  const start = performance.now();
  const result = expectSuccess(await run());
  const seconds = (performance.now() - start) / 1000;
  const keptBytes = Buffer.byteLength(result.stdout);
  const bytes = keptBytes + result.droppedBytes;
  if (bytes < THROUGHPUT_BYTES * 0.99) throw new Error(`${path}: only ${bytes} of ${THROUGHPUT_BYTES} bytes came through`);
  return { path, bytes, seconds, mbPerSecond: bytes / 1e6 / seconds, keptBytes, droppedBytes: result.droppedBytes };
}

/** `docker exec` through the CLI, its stdout piped into this process and counted as it arrives. */
async function timedExec(id: string): Promise<ThroughputFigure> {
  const start = performance.now();
  const { stdoutBytes } = await spawnCounting('docker', ['exec', id, 'sh', '-c', FLOOD]);
  const seconds = (performance.now() - start) / 1000;
  if (stdoutBytes !== THROUGHPUT_BYTES) throw new Error(`docker exec: ${stdoutBytes} of ${THROUGHPUT_BYTES} bytes came through`);
  return { path: 'docker exec (CLI, piped)', bytes: stdoutBytes, seconds, mbPerSecond: stdoutBytes / 1e6 / seconds };
}

async function benchThroughput(): Promise<ThroughputFigure[]> {
  log(`1. throughput: ${THROUGHPUT_ROUNDS} rounds of ${THROUGHPUT_BYTES} bytes through three paths, interleaved...`);
  const runner = new DockerRunner();
  let local: Awaited<ReturnType<typeof startLocalSession>> | undefined;
  try {
    await runner.start();
    local = await startLocalSession();
    const session = local.session;
    // Warm each path once with a small flood, so the first measured one pays no lazy set-up.
    await runner.run('head -c 1000000 /dev/zero');
    await session.run('head -c 1000000 /dev/zero');
    const id = runner.id as string;
    // Rounds interleaved (one flood of each path per round), the median round kept per path.
    const samples: ThroughputFigure[][] = [[], [], []];
    for (let round = 0; round < THROUGHPUT_ROUNDS; round++) {
      samples[0]?.push(await timedFlood('DockerRunner', () => runner.run(FLOOD, LONG_COMMAND)));
      samples[1]?.push(await timedFlood('local bash session', () => session.run(FLOOD, LONG_COMMAND)));
      samples[2]?.push(await timedExec(id));
    }
    return samples.map((figures) => {
      const sorted = [...figures].sort((a, b) => a.seconds - b.seconds);
      return { ...(sorted[Math.floor(sorted.length / 2)] as ThroughputFigure), roundsMbPerSecond: figures.map((f) => Math.round(f.mbPerSecond)) };
    });
  } finally {
    await local?.close();
    await runner.stop();
  }
}

// --- 2. cold start and pooled acquire -----------------------------------------------------------------

interface StartFigures {
  runnerColdMs: number[];
  dockerRunMs: number[];
  pooledMs: number[];
}

async function benchStarts(): Promise<StartFigures> {
  log(`2. cold start: ${COLD_ROUNDS} rounds of DockerRunner start + run('true') and docker run --rm, interleaved...`);
  const runnerColdMs: number[] = [];
  const dockerRunMs: number[] = [];
  for (let round = 0; round < COLD_ROUNDS; round++) {
    const runner = new DockerRunner();
    try {
      const start = performance.now();
      await runner.start();
      expectSuccess(await runner.run('true'));
      runnerColdMs.push(performance.now() - start);
    } finally {
      await runner.stop();
    }
    const start = performance.now();
    await spawnCounting('docker', ['run', '--rm', BASE_IMAGE, 'true']);
    dockerRunMs.push(performance.now() - start);
  }

  log(`   pooled: ${COLD_ROUNDS} rounds of acquire -> run('true') -> release on a warm RunnerPool({ min: 2, max: 4 })...`);
  const pooledMs: number[] = [];
  const pool = new RunnerPool({ min: 2, max: 4 });
  try {
    await pool.start();
    for (let round = 0; round < COLD_ROUNDS; round++) {
      await waitFor(() => pool.stats.idle >= 2, 60_000, 'the pool to have 2 idle runners again');
      await sleep(POOLED_PAUSE_MS);
      const start = performance.now();
      const runner = await pool.acquire();
      try {
        expectSuccess(await runner.run('true'));
      } finally {
        await pool.release(runner);
      }
      pooledMs.push(performance.now() - start);
    }
  } finally {
    await pool.close();
  }
  return { runnerColdMs, dockerRunMs, pooledMs };
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

// --- 3. jobs ---------------------------------------------------------------------------------------

interface JobsFigure {
  path: string;
  jobs: number;
  seconds: number;
  jobsPerSecond: number;
}

/** One job: 5 commands, each checked, on the runner it is given. */
async function job(runner: DockerRunner, i: number): Promise<void> {
  for (let j = 1; j <= COMMANDS_PER_JOB; j++) {
    const { stdout } = expectSuccess(await runner.run(`echo $((${i}*${j}))`));
    if (stdout.trim() !== String(i * j)) throw new Error(`job ${i}: echo $((${i}*${j})) printed ${JSON.stringify(stdout)}`);
  }
}

/** The reuse policy's reset between jobs: the home directory emptied, back to it. */
const RESET = async (runner: DockerRunner): Promise<void> => {
  expectSuccess(await runner.run('cd ~ && find . -mindepth 1 -delete'));
};

async function benchJobs(): Promise<JobsFigure[]> {
  log(`3. ${POOL_JOBS} jobs of ${COMMANDS_PER_JOB} commands, concurrency ${JOB_CONCURRENCY}: RunnerPool (destroy) then one cold DockerRunner per job...`);
  // Pool: from construction (warm-up included) until close() has removed every container.
  const poolStart = performance.now();
  const pool = new RunnerPool({ policy: 'destroy', min: 2, max: 4 });
  try {
    await pool.start();
    await forEachConcurrent(POOL_JOBS, JOB_CONCURRENCY, (i) => pool.run((runner) => job(runner, i)));
  } finally {
    await pool.close();
  }
  const poolSeconds = (performance.now() - poolStart) / 1000;
  if (pool.stats.started < POOL_JOBS) throw new Error(`the pool started ${pool.stats.started} runners for ${POOL_JOBS} jobs`);

  // Cold: each job starts its runner, runs, and stops it (container removed) before it counts as done.
  const coldStart = performance.now();
  await forEachConcurrent(POOL_JOBS, JOB_CONCURRENCY, async (i) => {
    const runner = new DockerRunner();
    try {
      await runner.start();
      await job(runner, i);
    } finally {
      await runner.stop();
    }
  });
  const coldSeconds = (performance.now() - coldStart) / 1000;

  // No shell, no commands: only creating, starting and removing as many containers.
  const engineStart = performance.now();
  await forEachConcurrent(POOL_JOBS, JOB_CONCURRENCY, async () => {
    await spawnCounting('docker', ['run', '--rm', '--network', 'none', BASE_IMAGE, 'true']);
  });
  const engineSeconds = (performance.now() - engineStart) / 1000;

  const reuseStart = performance.now();
  const reusing = new RunnerPool({ policy: 'reuse', reset: RESET, min: 2, max: 4 });
  try {
    await reusing.start();
    await forEachConcurrent(POOL_JOBS, JOB_CONCURRENCY, (i) => reusing.run((runner) => job(runner, i)));
  } finally {
    await reusing.close();
  }
  const reuseSeconds = (performance.now() - reuseStart) / 1000;
  return [
    { path: 'RunnerPool (destroy, min 2, max 4)', jobs: POOL_JOBS, seconds: poolSeconds, jobsPerSecond: POOL_JOBS / poolSeconds },
    { path: 'cold DockerRunner per job', jobs: POOL_JOBS, seconds: coldSeconds, jobsPerSecond: POOL_JOBS / coldSeconds },
    {
      path: `engine ceiling: docker run --rm IMAGE true (no shell, no commands)`,
      jobs: POOL_JOBS,
      seconds: engineSeconds,
      jobsPerSecond: POOL_JOBS / engineSeconds,
    },
    { path: 'RunnerPool (reuse + reset: NOT a fresh container per job)', jobs: POOL_JOBS, seconds: reuseSeconds, jobsPerSecond: POOL_JOBS / reuseSeconds },
  ];
}

// --- 4. memory -------------------------------------------------------------------------------------

interface MemoryFigures {
  runners: number;
  answered: number;
  rssBeforeMiB: number;
  rssWithRunnersMiB: number;
  perRunnerKiB: number;
  rssAfterStopMiB: number;
  heapBeforeMiB: number;
  heapWithRunnersMiB: number;
  startSeconds: number;
}

/** A full GC without --expose-gc on the command line (tsx runs us), so RSS figures carry less garbage. */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

async function settledRss(): Promise<number> {
  collectGarbage();
  await sleep(100);
  collectGarbage();
  await sleep(200);
  return process.memoryUsage().rss;
}

async function benchMemory(): Promise<MemoryFigures> {
  log(`4. memory: ${IDLE_RUNNERS} idle runners, started ${IDLE_START_CONCURRENCY} at a time...`);
  const before = await settledRss();
  const heapBefore = process.memoryUsage().heapUsed;
  let heapWith = 0;
  // Constructed up front so that the finally stops every one, also those whose start was under way.
  const runners = Array.from({ length: IDLE_RUNNERS }, () => new DockerRunner());
  let withRunners = 0;
  let answered = 0;
  let startSeconds = 0;
  try {
    const start = performance.now();
    await forEachConcurrent(IDLE_RUNNERS, IDLE_START_CONCURRENCY, async (i) => {
      await (runners[i] as DockerRunner).start();
    });
    startSeconds = (performance.now() - start) / 1000;
    const results = await Promise.all(runners.map((runner) => runner.run('true')));
    answered = results.filter((r) => r.exitCode === 0).length;
    if (answered !== IDLE_RUNNERS) throw new Error(`only ${answered} of ${IDLE_RUNNERS} idle runners answered \`true\``);
    await sleep(1000);
    withRunners = await settledRss();
    heapWith = process.memoryUsage().heapUsed;
  } finally {
    await Promise.allSettled(runners.map((runner) => runner.stop()));
  }
  const after = await settledRss();
  return {
    runners: IDLE_RUNNERS,
    answered,
    rssBeforeMiB: before / MiB,
    rssWithRunnersMiB: withRunners / MiB,
    perRunnerKiB: (withRunners - before) / 1024 / IDLE_RUNNERS,
    rssAfterStopMiB: after / MiB,
    heapBeforeMiB: heapBefore / MiB,
    heapWithRunnersMiB: heapWith / MiB,
    startSeconds,
  };
}

// --- main ------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const t0 = performance.now();
  const docker = new Dockerode();
  const throughput = await benchThroughput();
  const starts = await benchStarts();
  const jobs = await benchJobs();
  const memory = await benchMemory();

  const [viaRunner, viaLocal] = throughput as [ThroughputFigure, ThroughputFigure, ThroughputFigure];
  console.log(
    `1. Stdout throughput, \`${FLOOD}\` (${(THROUGHPUT_BYTES / 1e6).toFixed(0)} MB, median of ${THROUGHPUT_ROUNDS} interleaved rounds; MB = 10^6 bytes; sessions keep the default 16 MiB and count the rest as dropped):`,
  );
  printTable(
    ['path', 'seconds', 'MB/s', 'x local bash', 'MB/s per round'],
    throughput.map((f) => [
      f.path,
      f.seconds.toFixed(2),
      f.mbPerSecond.toFixed(0),
      (f.mbPerSecond / viaLocal.mbPerSecond).toFixed(2),
      (f.roundsMbPerSecond ?? []).join(', '),
    ]),
  );
  const runnerOverLocal = viaRunner.mbPerSecond / viaLocal.mbPerSecond;
  console.log(`DockerRunner MB/s / local bash session MB/s = ${runnerOverLocal.toFixed(2)} (target >= 0.5)`);
  console.log();

  const coldMedian = median(starts.runnerColdMs);
  const dockerRunMedian = median(starts.dockerRunMs);
  const pooledMedian = median(starts.pooledMs);
  console.log(`2. Start to first command result (\`true\`), ${COLD_ROUNDS} rounds each:`);
  printTable(
    ['path', 'median ms', 'min ms', 'max ms'],
    [
      ['DockerRunner cold: start() + run(true)', starts.runnerColdMs],
      [`docker run --rm ${BASE_IMAGE} true (CLI)`, starts.dockerRunMs],
      ['warm RunnerPool: acquire + run(true) + release', starts.pooledMs],
    ].map(([path, xs]) => [
      path as string,
      median(xs as number[]).toFixed(2),
      Math.min(...(xs as number[])).toFixed(2),
      Math.max(...(xs as number[])).toFixed(2),
    ]),
  );
  console.log(`warm RunnerPool acquire -> run('true') -> release median = ${pooledMedian.toFixed(2)} ms (target < 10)`);
  console.log(`DockerRunner cold start median / docker run --rm median = ${(coldMedian / dockerRunMedian).toFixed(2)}`);
  console.log();

  const [viaPool, viaCold, viaEngine] = jobs as [JobsFigure, JobsFigure, JobsFigure, JobsFigure];
  const poolOverCold = viaPool.jobsPerSecond / viaCold.jobsPerSecond;
  const engineOverCold = viaEngine.jobsPerSecond / viaCold.jobsPerSecond;
  console.log(
    `3. ${POOL_JOBS} jobs of ${COMMANDS_PER_JOB} commands, a fresh container per job, concurrency ${JOB_CONCURRENCY} (pool: warm-up and close included):`,
  );
  printTable(
    ['path', 'total s', 'jobs/s'],
    jobs.map((f) => [f.path, f.seconds.toFixed(2), f.jobsPerSecond.toFixed(2)]),
  );
  console.log(`RunnerPool jobs/s / cold DockerRunner jobs/s = ${poolOverCold.toFixed(2)} (target >= 10)`);
  console.log(`engine ceiling / cold DockerRunner jobs/s = ${engineOverCold.toFixed(2)}: no pool that makes a container per job can beat this`);
  console.log();

  console.log(`4. RSS of this process with ${IDLE_RUNNERS} idle runners (started ${IDLE_START_CONCURRENCY} at a time in ${memory.startSeconds.toFixed(1)} s):`);
  printTable(
    ['', 'RSS MiB', 'heap used MiB'],
    [
      ['before', memory.rssBeforeMiB.toFixed(1), memory.heapBeforeMiB.toFixed(1)],
      [`with ${IDLE_RUNNERS} idle runners up`, memory.rssWithRunnersMiB.toFixed(1), memory.heapWithRunnersMiB.toFixed(1)],
      ['after stopping them', memory.rssAfterStopMiB.toFixed(1), ''],
    ],
  );
  const heapPerRunnerKiB = ((memory.heapWithRunnersMiB - memory.heapBeforeMiB) * 1024) / IDLE_RUNNERS;
  console.log(
    `per idle runner: ${memory.perRunnerKiB.toFixed(0)} KiB of RSS, ${heapPerRunnerKiB.toFixed(0)} KiB of JS heap; ${memory.answered}/${IDLE_RUNNERS} answered \`true\` (target: all ${IDLE_RUNNERS} held without errors)`,
  );

  const json = {
    ...(await benchEnvironment(docker)),
    config: {
      POOL_JOBS,
      IDLE_RUNNERS,
      THROUGHPUT_BYTES,
      THROUGHPUT_ROUNDS,
      COLD_ROUNDS,
      JOB_CONCURRENCY,
      COMMANDS_PER_JOB,
      IDLE_START_CONCURRENCY,
      POOLED_PAUSE_MS,
    },
    throughput,
    starts: { ...starts, runnerColdMedianMs: coldMedian, dockerRunMedianMs: dockerRunMedian, pooledMedianMs: pooledMedian },
    jobs,
    memory,
    checks: { runnerOverLocal, pooledMedianMs: pooledMedian, poolOverCold, engineOverCold, idleRunnersAnswered: memory.answered },
    seconds: (performance.now() - t0) / 1000,
  };
  await mkdir(new URL('.', RESULTS_FILE), { recursive: true });
  await writeFile(RESULTS_FILE, `${JSON.stringify(json, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
