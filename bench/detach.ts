/**
 * Detach and connect, measured side by side in one run, per round:
 *
 * - a cold `DockerRunner.start()` to its first `run('true')` (the baseline: what connect saves);
 * - `detach()` of that runner (hand-over message, lease written, connection released);
 * - `DockerRunner.connect(id)` to its first `run('true')` (inspect, lease taken, attach, hello);
 * - `run('true')` round trip on the connected runner against the same on a runner that was never
 *   detached (a connected session must be as fast as any other).
 *
 * Usage: npm run bench   (DETACH_ROUNDS, default 10: rounds; BENCH_ITERATIONS, default 2000:
 *                         round trips per side)
 * Prints a table and writes the figures to bench/results/detach.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import Dockerode from 'dockerode';
import { DockerRunner } from '../src/docker/docker-runner.js';
import { positiveIntegerFromEnv } from './lib/env.js';
import { benchEnvironment } from './lib/environment.js';
import { type PathResult, summarize } from './lib/paths.js';

const RESULTS_FILE = new URL('./results/detach.json', import.meta.url);
const ROUNDS = positiveIntegerFromEnv('DETACH_ROUNDS', 10);
const ITERATIONS = positiveIntegerFromEnv('BENCH_ITERATIONS', 2000);

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await work();
  return [value, performance.now() - start];
}

async function roundTrips(runner: DockerRunner, n: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) samples.push((await timed(() => runner.run('true')))[1]);
  return samples;
}

const labels = { 'docker-shell-bench': 'detach' };
const cold: number[] = [];
const detach: number[] = [];
const connect: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const [runner, coldMs] = await timed(async () => {
    const started = await DockerRunner.start({ labels });
    await started.run('true');
    return started;
  });
  cold.push(coldMs);
  await runner.run('cd /tmp; X=1');
  const [id, detachMs] = await timed(() => runner.detach());
  detach.push(detachMs);
  const [connected, connectMs] = await timed(async () => {
    const again = await DockerRunner.connect(id);
    await again.run('true');
    return again;
  });
  connect.push(connectMs);
  await connected.stop();
}

// Round trips, in alternating blocks so that drifting load weighs on both.
const plain = await DockerRunner.start({ labels });
const detached = await DockerRunner.start({ labels });
const connected = await DockerRunner.connect(await detached.detach());
const plainSamples: number[] = [];
const connectedSamples: number[] = [];
await roundTrips(plain, 100);
await roundTrips(connected, 100);
for (let block = 0; block < 4; block++) {
  plainSamples.push(...(await roundTrips(plain, Math.ceil(ITERATIONS / 4))));
  connectedSamples.push(...(await roundTrips(connected, Math.ceil(ITERATIONS / 4))));
}
await Promise.all([plain.stop(), connected.stop()]);

const rows = [
  summarize('cold DockerRunner.start() + run(true)', cold),
  summarize('detach()', detach),
  summarize('DockerRunner.connect(id) + run(true)', connect),
  summarize('run(true), never detached', plainSamples),
  summarize('run(true), after connect', connectedSamples),
];
console.log(`\ndetach / connect (${ROUNDS} rounds; ${ITERATIONS} round trips per side)`);
console.log(`${'path'.padEnd(42)} ${'n'.padStart(5)} ${'median ms'.padStart(10)} ${'p95 ms'.padStart(9)}`);
for (const row of rows)
  console.log(`${row.path.padEnd(42)} ${String(row.n).padStart(5)} ${row.medianMs.toFixed(3).padStart(10)} ${row.p95Ms.toFixed(3).padStart(9)}`);
const ratio = (rows[2] as PathResult).medianMs / (rows[0] as PathResult).medianMs;
console.log(`connect is ${ratio.toFixed(2)}x a cold start (median)`);

const docker = new Dockerode();
await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(RESULTS_FILE, `${JSON.stringify({ environment: await benchEnvironment(docker), rows }, null, 2)}\n`);
