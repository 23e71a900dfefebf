/**
 * Hibernate and wake of a gVisor sandbox, side by side in one run with what they compete against:
 *
 * - runsc cold start: `DockerRunner.start({ runtime: 'runsc' })` until bash answers (what a wake
 *   saves: a new sandbox, without the old one's processes or state).
 * - hibernate: `hibernateContainer()` (the checkpoint; the container is stopped at its end).
 * - wake: `wakeContainer()` (attach, `docker start --checkpoint`) + `Session.resume()` until bash
 *   answers; and the restore alone (`docker start --checkpoint`).
 * - live fork: `liveForkContainer()` from the same checkpoint (a new container, the checkpoint
 *   copied into it, restored) + `Session.resume()` until the fork's bash answers.
 * - runc pause / unpause (the engine's freezer) of the same kind of sandbox, until bash answers:
 *   the baseline that keeps the memory.
 *
 * Each sandbox holds a background `sleep` and, in the second kind, 64 MiB of random data in its
 * /tmp (a tmpfs: memory under gVisor), so the checkpoint's cost per byte shows. Each round wakes
 * the same sandbox it hibernated (the first round a fresh one, later ones a restored one).
 *
 * Usage: npm run bench:hibernate   (BENCH_HIBERNATE_ROUNDS, default 5)
 * Prints a table and writes the figures to bench/results/hibernate.json.
 */
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { DockerRunner } from '../src/docker/docker-runner.js';
import { hibernateContainer, memoryUsage } from '../src/docker/hibernate/hibernate-container.js';
import { wakeContainer } from '../src/docker/hibernate/wake-container.js';
import { liveForkContainer } from '../src/docker/hibernate/live-fork.js';
import { RUNNER_SESSION_TAG } from '../src/docker/session-control.js';
import { Session } from '../src/session/session.js';
import { positiveIntegerFromEnv } from './lib/env.js';
import { benchEnvironment } from './lib/environment.js';

const RESULTS_FILE = new URL('./results/hibernate.json', import.meta.url);
const FILL_MIB = 64;

interface Row {
  path: string;
  n: number;
  medianMs: number;
  maxMs: number;
  /** Memory of the sandbox before, and held while it sleeps (undefined: the container is stopped). */
  memoryBeforeMiB?: number;
  memoryAsleepMiB?: number | null;
  checkpointMiB?: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number;
const mib = (bytes: number | undefined) => (bytes === undefined ? undefined : bytes / 1024 ** 2);

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const startedAt = performance.now();
  const value = await work();
  return [value, performance.now() - startedAt];
}

/** The checkpoint directory's size, when this process sees the engine's root. */
async function checkpointBytes(docker: Dockerode, id: string, name: string): Promise<number | undefined> {
  const root = ((await docker.info()) as { DockerRootDir?: string }).DockerRootDir ?? '/var/lib/docker';
  const dir = join(root, 'containers', id, 'checkpoints', name);
  try {
    let total = 0;
    for (const file of await readdir(dir)) total += (await stat(join(dir, file))).size;
    return total;
  } catch {
    return undefined;
  }
}

async function setUp(runner: DockerRunner, fill: boolean): Promise<void> {
  const data = fill ? `\nhead -c ${FILL_MIB}M /dev/urandom >/tmp/fill` : '';
  await runner.run(`sleep 100000 &${data}`, { check: true });
}

async function benchHibernate(docker: Dockerode, rounds: number, fill: boolean): Promise<Row[]> {
  const kind = fill ? ` (+${FILL_MIB} MiB in /tmp)` : '';
  const cold: number[] = [];
  const sleeps: number[] = [];
  const wakes: number[] = [];
  const restores: number[] = [];
  const forks: number[] = [];
  const memoryBefore: number[] = [];
  const sizes: number[] = [];
  let asleep: number | undefined;
  // The sandbox that is hibernated and woken round after round.
  const runner = await DockerRunner.start({ docker, runtime: 'runsc', disk: '256m' });
  const container = docker.getContainer(runner.id as string);
  await setUp(runner, fill);
  // What a hand-over would say (the runner's session is left in its loop as the checkpoint stops it).
  const handOver = { shellPid: Number((await runner.run('echo $$')).stdout), tasks: 100 };
  let socket: { destroy(): void } | undefined;
  try {
    for (let round = 0; round < rounds; round++) {
      process.stderr.write(`runsc${kind}: round ${round + 1}/${rounds}\n`);
      const [coldRunner, coldMs] = await timed(() => DockerRunner.start({ docker, runtime: 'runsc', disk: '256m' }));
      cold.push(coldMs);
      await coldRunner.stop();

      const slept = await hibernateContainer(docker, container);
      sleeps.push(slept.durationMs);
      if (slept.memoryBytesBefore !== undefined) memoryBefore.push(slept.memoryBytesBefore);
      const size = await checkpointBytes(docker, container.id, slept.checkpointName);
      if (size !== undefined) sizes.push(size);
      asleep = await memoryUsage(container);
      const [fork, forkMs] = await timed(async () => {
        const forked = await liveForkContainer(docker, container, slept.checkpointName);
        await (await Session.resume(forked.attached.transport, handOver, { tag: RUNNER_SESSION_TAG })).run('true');
        return forked;
      });
      forks.push(forkMs);
      fork.attached.socket.destroy();
      await fork.container.remove({ force: true });
      socket?.destroy();
      const [session, wakeMs] = await timed(async () => {
        const { attached, durationMs } = await wakeContainer(docker, container, slept.checkpointName);
        restores.push(durationMs);
        socket = attached.socket;
        const resumed = await Session.resume(attached.transport, handOver, { tag: RUNNER_SESSION_TAG });
        await resumed.run('true');
        return resumed;
      });
      wakes.push(wakeMs);
      if ((await session.run('jobs | wc -l')).stdout.trim() !== '1') throw new Error('the background job did not survive the wake');
    }
  } finally {
    socket?.destroy();
    await runner.stop();
  }
  const row = (path: string, xs: number[], extra: Partial<Row> = {}): Row => ({ path, n: xs.length, medianMs: median(xs), maxMs: Math.max(...xs), ...extra });
  return [
    row(`runsc cold start${kind}`, cold),
    row(`runsc hibernate${kind}`, sleeps, {
      memoryBeforeMiB: mib(median(memoryBefore)),
      memoryAsleepMiB: asleep === undefined ? null : mib(asleep),
      checkpointMiB: sizes.length ? mib(median(sizes)) : undefined,
    }),
    row(`runsc restore (start --checkpoint)${kind}`, restores),
    row(`runsc wake + answer${kind}`, wakes),
    row(`runsc live fork + answer${kind}`, forks),
  ];
}

async function benchPause(docker: Dockerode, rounds: number, fill: boolean): Promise<Row[]> {
  const kind = fill ? ` (+${FILL_MIB} MiB in /tmp)` : '';
  const runner = await DockerRunner.start({ docker, disk: '256m' });
  const container = docker.getContainer(runner.id as string);
  await setUp(runner, fill);
  const pauses: number[] = [];
  const resumes: number[] = [];
  let before: number | undefined;
  let paused: number | undefined;
  try {
    for (let round = 0; round < rounds; round++) {
      before = await memoryUsage(container);
      pauses.push((await timed(() => container.pause()))[1]);
      paused = await memoryUsage(container);
      resumes.push((await timed(async () => (await container.unpause(), await runner.run('true'))))[1]);
    }
  } finally {
    await runner.stop();
  }
  return [
    {
      path: `runc pause${kind}`,
      n: pauses.length,
      medianMs: median(pauses),
      maxMs: Math.max(...pauses),
      memoryBeforeMiB: mib(before),
      memoryAsleepMiB: mib(paused),
    },
    { path: `runc unpause + answer${kind}`, n: resumes.length, medianMs: median(resumes), maxMs: Math.max(...resumes) },
  ];
}

function printTable(rows: Row[]): void {
  const fmt = (x: number | null | undefined, digits = 1) => (x === undefined ? '' : x === null ? 'stopped' : x.toFixed(digits));
  const header = ['path', 'n', 'median ms', 'max ms', 'memory before MiB', 'memory asleep MiB', 'checkpoint MiB'];
  const cells = rows.map((r) => [r.path, String(r.n), fmt(r.medianMs), fmt(r.maxMs), fmt(r.memoryBeforeMiB), fmt(r.memoryAsleepMiB), fmt(r.checkpointMiB, 2)]);
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((row) => (row[column] as string).length)));
  const line = (row: string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(' | ');
  console.log(line(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('-|-'));
  for (const row of cells) console.log(line(row));
}

async function main(): Promise<void> {
  const rounds = positiveIntegerFromEnv('BENCH_HIBERNATE_ROUNDS', 5);
  const docker = new Dockerode();
  const rows: Row[] = [];
  for (const fill of [false, true]) {
    rows.push(...(await benchHibernate(docker, rounds, fill)));
    rows.push(...(await benchPause(docker, rounds, fill)));
  }
  printTable(rows);
  console.log('(memory asleep "stopped": the container holds no process, so the engine counts none)');
  await mkdir(new URL('.', RESULTS_FILE), { recursive: true });
  await writeFile(RESULTS_FILE, `${JSON.stringify({ ...(await benchEnvironment(docker)), rounds, fillMiB: FILL_MIB, rows }, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
