/**
 * Snapshots and forks, measured side by side in one run, rounds interleaved so drifting load
 * weighs on every path alike:
 *
 * 1. A cold `DockerRunner.start()` (to its first answer), the baseline.
 * 2. `runner.fork()` (snapshot + start of the child, to its first answer) of a fresh sandbox, of one
 *    with 100 MB of changed files in its tmpfs places (read-only root, the default), and of a
 *    writable-root sandbox with 100 MB written to its layer.
 * 3. `runner.snapshot()` alone of each, with its steps (`snapshot.timings`).
 * 4. `fork({ count: 8 })` of the fresh sandbox, in total, beside 8 cold starts at once.
 * 5. What a fork saves: a sandbox that installed a package (`apt-get install graphicsmagick`, root,
 *    the network on) rebuilt from scratch, against a fork of it; both to the first `gm version`.
 *
 * Usage: npm run bench:snapshot   (BENCH_SNAPSHOT_ROUNDS, default 3; BENCH_SNAPSHOT_APT=0 skips 5,
 *                                  which needs the network to Debian's mirrors)
 * Prints tables and writes the figures to bench/results/snapshot.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import Dockerode from 'dockerode';
import { DockerRunner } from '../src/docker/docker-runner.js';
import { APT_CAPABILITIES } from '../src/docker/sandbox-options.js';
import type { Snapshot, SnapshotTimings } from '../src/docker/snapshots/snapshot.js';
import { positiveIntegerFromEnv } from './lib/env.js';
import { benchEnvironment } from './lib/environment.js';

const RESULTS_FILE = new URL('./results/snapshot.json', import.meta.url);
const MB100 = 'head -c 100M /dev/urandom > /tmp/big.bin && mkdir -p ~/many && for i in $(seq 1 200); do echo "$i" > ~/many/f$i; done';

interface Row {
  path: string;
  n: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
}

function summarize(path: string, samples: number[]): Row {
  const sorted = [...samples].sort((a, b) => a - b);
  const median =
    sorted.length % 2 ? (sorted[(sorted.length - 1) / 2] as number) : ((sorted[sorted.length / 2 - 1] as number) + (sorted[sorted.length / 2] as number)) / 2;
  return { path, n: sorted.length, medianMs: median, minMs: sorted[0] as number, maxMs: sorted[sorted.length - 1] as number };
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await work();
  return { ms: performance.now() - start, value };
}

function table(rows: Row[], baseline: number): void {
  const header = ['path', 'n', 'median ms', 'min ms', 'max ms', 'x cold start'];
  const lines = rows.map((r) => [r.path, String(r.n), r.medianMs.toFixed(0), r.minMs.toFixed(0), r.maxMs.toFixed(0), (r.medianMs / baseline).toFixed(2)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const l of lines) console.log(line(l));
}

/** A sandbox with a package installed, made twice: from scratch, and by a fork of the first. */
async function aptForkedVsRebuilt(docker: Dockerode): Promise<{ rebuiltMs: number; forkedMs: number }> {
  process.stderr.write('apt-get install: rebuilt, then forked\n');
  const install = 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends graphicsmagick >/dev/null';
  const options = { docker, user: 'root', network: true, capAdd: [...APT_CAPABILITIES], timeoutMs: 600_000 };
  const rebuilt = await timed(async () => {
    const runner = await DockerRunner.start(options);
    await runner.run(install, { check: true });
    await runner.run('gm version', { check: true });
    return runner;
  });
  try {
    const forked = await timed(async () => {
      const child = await rebuilt.value.fork();
      await child.run('gm version', { check: true });
      return child;
    });
    await forked.value.stop();
    return { rebuiltMs: rebuilt.ms, forkedMs: forked.ms };
  } finally {
    await rebuilt.value.stop();
  }
}

async function main(): Promise<void> {
  const rounds = positiveIntegerFromEnv('BENCH_SNAPSHOT_ROUNDS', 3);
  const docker = new Dockerode();
  const parents = {
    fresh: await DockerRunner.start({ docker }),
    tmpfs100: await DockerRunner.start({ docker, memory: '2g' }),
    layer100: await DockerRunner.start({ docker, user: 'root', readOnly: false, disk: '1g' }),
  };
  await parents.tmpfs100.run(MB100, { check: true });
  await parents.layer100.run(MB100.replace('/tmp/big.bin', '/opt/big.bin'), { check: true });
  // Warm-up: the first start pays for the reaper and the image lookup.
  await (await DockerRunner.start({ docker })).stop();

  const samples: Record<string, number[]> = {};
  const steps: Record<string, SnapshotTimings[]> = {};
  const add = (path: string, ms: number) => (samples[path] ??= []).push(ms);
  try {
    for (let round = 0; round < rounds; round++) {
      process.stderr.write(`round ${round + 1}/${rounds}\n`);
      const cold = await timed(() => DockerRunner.start({ docker }));
      add('cold DockerRunner.start()', cold.ms);
      await cold.value.stop();
      for (const [name, parent] of Object.entries(parents)) {
        const fork = await timed(() => parent.fork());
        add(`fork() of ${name}`, fork.ms);
        await fork.value.stop();
        const snap = await timed(() => parent.snapshot());
        add(`snapshot() of ${name}`, snap.ms);
        (steps[name] ??= []).push((snap.value as Snapshot).timings as SnapshotTimings);
        const start = await timed(() => DockerRunner.start({ docker, snapshot: snap.value }));
        add(`start({ snapshot }) of ${name}`, start.ms);
        await start.value.stop();
        await snap.value.remove();
      }
    }
    process.stderr.write('8 at once\n');
    const coldEight = await timed(() => Promise.all(Array.from({ length: 8 }, () => DockerRunner.start({ docker }))));
    await Promise.all(coldEight.value.map((r) => r.stop()));
    const forkEight = await timed(() => parents.fresh.fork({ count: 8 }));
    await Promise.all(forkEight.value.map((r) => r.stop()));
    const apt = process.env.BENCH_SNAPSHOT_APT === '0' ? undefined : await aptForkedVsRebuilt(docker);

    const rows = Object.entries(samples).map(([path, values]) => summarize(path, values));
    const baseline = rows[0]?.medianMs ?? 1;
    console.log(`\nSnapshots and forks, ${rounds} rounds (a fork is snapshot + start of the child, to its first answer)\n`);
    table(rows, baseline);
    console.log(`\n8 at once: 8 cold starts ${coldEight.ms.toFixed(0)} ms; fork({ count: 8 }) of the fresh sandbox ${forkEight.ms.toFixed(0)} ms\n`);
    if (apt) {
      console.log(
        `apt-get install graphicsmagick, to the first \`gm version\`: rebuilt ${apt.rebuiltMs.toFixed(0)} ms; forked ${apt.forkedMs.toFixed(0)} ms (${(apt.rebuiltMs / apt.forkedMs).toFixed(1)}x faster)\n`,
      );
    }
    console.log('snapshot() steps, median ms:');
    const stepNames = ['stateMs', 'freezeMs', 'archiveMs', 'commitMs', 'frozenMs', 'imageMs', 'totalMs'] as const;
    for (const [name, list] of Object.entries(steps)) {
      const medians = stepNames.map(
        (step) =>
          `${step.replace('Ms', '')} ${summarize(
            step,
            list.map((t) => t[step]),
          ).medianMs.toFixed(0)}`,
      );
      console.log(`  ${name.padEnd(9)} ${medians.join(', ')}`);
    }
    await mkdir(new URL('./results/', import.meta.url), { recursive: true });
    const json = { ...(await benchEnvironment(docker)), rounds, rows, eight: { coldMs: coldEight.ms, forkMs: forkEight.ms }, steps, apt };
    await writeFile(RESULTS_FILE, `${JSON.stringify(json, null, 2)}\n`);
  } finally {
    await Promise.all(Object.values(parents).map((p) => p.stop()));
  }
}

await main();
