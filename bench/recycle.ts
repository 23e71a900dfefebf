/**
 * What RunnerPool's `policy: 'recycle'` buys, beside 'destroy' (a new container per job) and
 * 'reuse' (the same container, not cleaned) measured in the same run:
 *
 * 1. Jobs/s: RECYCLE_JOBS jobs of 5 commands each, 4 at a time, on a warm pool of RECYCLE_POOL per policy.
 * 2. Sustained arrival: RECYCLE_ARRIVAL_JOBS jobs arriving at RECYCLE_RATE per second (above the
 *    engine's ~2 containers/s here), each acquire -> run('true') -> 4 more commands -> release, on a
 *    warm pool of RECYCLE_POOL: acquire-to-first-result, median and p95, for 'destroy' and 'recycle'.
 * 3. Where a recycle's time goes, stage by stage (median over the recycles of sections 1 and 2):
 *    ending the job's host-side handles, the fresh shell (a new bash and the session's start on it),
 *    docker diff (writable roots only), and the in-sandbox clean + scan.
 *
 * Usage: npx tsx bench/recycle.ts   (RECYCLE_JOBS 100, RECYCLE_ARRIVAL_JOBS 60, RECYCLE_RATE 10, RECYCLE_POOL 6)
 * Prints a table per section and writes the figures to bench/results/recycle.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import Dockerode from 'dockerode';
import type { DockerRunner } from '../src/docker/docker-runner.js';
import type { RecycleTimings } from '../src/docker/recycle/recycler.js';
import { RunnerPool } from '../src/pool/runner-pool.js';
import type { PoolPolicy } from '../src/pool/pool-options.js';
import { positiveIntegerFromEnv } from './lib/env.js';
import { benchEnvironment } from './lib/environment.js';

const RESULTS_FILE = new URL('./results/recycle.json', import.meta.url);
const JOBS = positiveIntegerFromEnv('RECYCLE_JOBS', 100);
const ARRIVAL_JOBS = positiveIntegerFromEnv('RECYCLE_ARRIVAL_JOBS', 60);
const RATE = positiveIntegerFromEnv('RECYCLE_RATE', 10);
const CONCURRENCY = 4;
const POOL_SIZE = positiveIntegerFromEnv('RECYCLE_POOL', 6);
const COMMANDS = ['true', 'echo hi', 'pwd', 'ls -A ~', 'echo x > ~/out.txt'];
const LABEL = 'dev.docker-shell.bench-recycle';

const percentile = (xs: number[], p: number): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
};

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((cell, i) => cell.padEnd(widths[i] as number)).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
  console.log();
}

/** Stage times of every recycle seen (read from the runner at the start of its next job). */
const recycleTimings: RecycleTimings[] = [];
const seen = new WeakSet<RecycleTimings>();

async function job(runner: DockerRunner): Promise<number> {
  const timings = runner.recycleTimings;
  if (timings && !seen.has(timings)) {
    seen.add(timings);
    recycleTimings.push(timings);
  }
  let firstMs = 0;
  for (const [i, command] of COMMANDS.entries()) {
    const result = await runner.run(command);
    if (result.exitCode !== 0) throw new Error(`\`${command}\` exited with ${result.exitCode}`);
    if (i === 0) firstMs = performance.now();
  }
  return firstMs;
}

async function warmPool(policy: PoolPolicy): Promise<RunnerPool> {
  const pool = new RunnerPool({ policy, min: POOL_SIZE, max: POOL_SIZE, runner: { labels: { [LABEL]: 'true' } } });
  await pool.start();
  return pool;
}

/** Waits until the pool is back to `min` idle runners (replacements and recycles done). */
async function settled(pool: RunnerPool): Promise<void> {
  while (pool.stats.idle < POOL_SIZE) await sleep(20);
}

async function jobsPerSecond(policy: PoolPolicy): Promise<{ policy: PoolPolicy; jobsPerS: number; destroyed: number; recycleFailed: number }> {
  const pool = await warmPool(policy);
  try {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < JOBS) {
          next++;
          await pool.run(job);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    return { policy, jobsPerS: JOBS / seconds, destroyed: pool.stats.destroyed, recycleFailed: pool.stats.recycleFailed };
  } finally {
    await pool.close();
  }
}

async function steadyArrival(policy: PoolPolicy): Promise<{ policy: PoolPolicy; medianMs: number; p95Ms: number; maxMs: number }> {
  const pool = await warmPool(policy);
  try {
    await settled(pool);
    const latencies: number[] = [];
    const jobs: Array<Promise<void>> = [];
    const start = performance.now();
    for (let i = 0; i < ARRIVAL_JOBS; i++) {
      // Arrivals on a fixed schedule, whatever the jobs before took.
      const due = start + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const arrived = performance.now();
      jobs.push(
        pool.run(async (runner) => {
          const firstResultAt = await job(runner);
          latencies.push(firstResultAt - arrived);
        }),
      );
    }
    await Promise.all(jobs);
    return { policy, medianMs: percentile(latencies, 50), p95Ms: percentile(latencies, 95), maxMs: Math.max(...latencies) };
  } finally {
    await pool.close();
  }
}

const docker = new Dockerode();
console.log(`RunnerPool policies: ${JOBS} jobs of ${COMMANDS.length} commands at concurrency ${CONCURRENCY}, warm pools of ${POOL_SIZE}\n`);
const rates = [];
for (const policy of ['destroy', 'recycle', 'reuse'] as const) rates.push(await jobsPerSecond(policy));
const destroyRate = rates[0]?.jobsPerS ?? NaN;
printTable(
  ['policy', 'jobs/s', 'vs destroy', 'containers destroyed', 'recycles not clean'],
  rates.map((r) => [r.policy, r.jobsPerS.toFixed(1), `${(r.jobsPerS / destroyRate).toFixed(1)}x`, String(r.destroyed), String(r.recycleFailed)]),
);

console.log(`Steady arrival: ${ARRIVAL_JOBS} jobs at ${RATE}/s, acquire to first result (ms)\n`);
const arrivals = [];
for (const policy of ['destroy', 'recycle'] as const) arrivals.push(await steadyArrival(policy));
printTable(
  ['policy', 'median', 'p95', 'max'],
  arrivals.map((a) => [a.policy, a.medianMs.toFixed(1), a.p95Ms.toFixed(1), a.maxMs.toFixed(1)]),
);

const stages = ['handlesMs', 'freshShellMs', 'diffMs', 'cleanAndScanMs'] as const;
const totals = recycleTimings.map((t) => stages.reduce((sum, stage) => sum + t[stage], 0));
console.log(`Where a recycle's time goes (${recycleTimings.length} recycles, ms)\n`);
printTable(
  ['stage', 'median', 'p95'],
  [
    ...stages.map((stage) => [
      stage.replace(/Ms$/, ''),
      percentile(
        recycleTimings.map((t) => t[stage]),
        50,
      ).toFixed(1),
      percentile(
        recycleTimings.map((t) => t[stage]),
        95,
      ).toFixed(1),
    ]),
    ['total', percentile(totals, 50).toFixed(1), percentile(totals, 95).toFixed(1)],
  ],
);

await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(
  RESULTS_FILE,
  `${JSON.stringify(
    {
      ...(await benchEnvironment(docker)),
      jobs: JOBS,
      concurrency: CONCURRENCY,
      poolSize: POOL_SIZE,
      rates,
      arrival: { jobs: ARRIVAL_JOBS, ratePerS: RATE, results: arrivals },
      recycleStagesMs: Object.fromEntries(
        stages.map((stage) => [
          stage,
          {
            median: percentile(
              recycleTimings.map((t) => t[stage]),
              50,
            ),
            p95: percentile(
              recycleTimings.map((t) => t[stage]),
              95,
            ),
          },
        ]),
      ),
    },
    null,
    2,
  )}\n`,
);
