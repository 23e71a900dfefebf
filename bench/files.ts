/**
 * Putting and getting a 100 MB file (random bytes) through the file API, both routes, against
 * `docker cp` (the CLI) in the same run, on the same sandbox (the default: nobody, writable root).
 *
 * - put: `putFile()` from a local file, by the exec route (default for the sandbox user) and by the
 *   archive route; `docker cp <local> <id>:<path>`;
 * - get to disk: `getFileStream()` piped to a local file, both routes; `docker cp <id>:<path> <local>`;
 * - get to memory: `getFile()` (a Buffer), both routes.
 * Every copy is checked (sha256). Each figure is the median of BENCH_FILE_ROUNDS (default 5) rounds,
 * the paths interleaved within a round.
 *
 * Usage: npx tsx bench/files.ts   (BENCH_FILE_MB, default 100)
 * Prints a table and writes the figures to bench/results/files.json.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { DockerRunner } from '../src/docker/docker-runner.js';
import { getFile, getFileStream, putFile, type PutOptions } from '../src/docker/files.js';
import { positiveIntegerFromEnv } from './lib/env.js';

const execFileAsync = promisify(execFile);
const RESULTS_FILE = new URL('./results/files.json', import.meta.url);

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function main(): Promise<void> {
  const megabytes = positiveIntegerFromEnv('BENCH_FILE_MB', 100);
  const rounds = positiveIntegerFromEnv('BENCH_FILE_ROUNDS', 5);
  const size = megabytes * 1000 * 1000;
  const dir = await mkdtemp(join(tmpdir(), 'docker-shell-bench-files-'));
  const local = join(dir, 'payload.bin');
  process.stderr.write(`writing ${megabytes} MB of random bytes...\n`);
  await writeFile(local, randomBytes(size));
  const expected = await sha256File(local);

  const runner = await DockerRunner.start({ memory: '2g' });
  const container = runner.docker.getContainer(runner.id as string);
  const base: PutOptions = { workdir: '/home/sandbox', user: '65534:65534', owner: { uid: 65534, gid: 65534 } };
  const checkInside = async (path: string): Promise<void> => {
    const { stdout } = await runner.run(`sha256sum < ${path}`, { check: true });
    if (!stdout.startsWith(expected)) throw new Error(`${path} in the container is not the file that was put`);
  };
  const checkLocal = async (path: string): Promise<void> => {
    if ((await sha256File(path)) !== expected) throw new Error(`${path} is not the file that was got`);
  };

  type Path = { name: string; run: (round: number) => Promise<unknown>; check: (round: number) => Promise<void> };
  const out = (name: string, round: number): string => join(dir, `${name}-${round}.bin`);
  const paths: Path[] = [
    {
      name: 'put: putFile, exec route (default)',
      run: () => putFile(container, 'exec.bin', local, { ...base, via: 'exec' }),
      check: () => checkInside('exec.bin'),
    },
    {
      name: 'put: putFile, archive route',
      run: () => putFile(container, 'archive.bin', local, { ...base, via: 'archive' }),
      check: () => checkInside('archive.bin'),
    },
    { name: 'put: docker cp', run: () => execFileAsync('docker', ['cp', local, `${container.id}:/home/sandbox/cp.bin`]), check: () => checkInside('cp.bin') },
    {
      name: 'get to disk: getFileStream, exec route',
      run: async (r) => pipeline(await getFileStream(container, 'cp.bin', { ...base, via: 'exec' }), createWriteStream(out('exec', r))),
      check: (r) => checkLocal(out('exec', r)),
    },
    {
      name: 'get to disk: getFileStream, archive route',
      run: async (r) => pipeline(await getFileStream(container, 'cp.bin', { ...base, via: 'archive' }), createWriteStream(out('archive', r))),
      check: (r) => checkLocal(out('archive', r)),
    },
    {
      name: 'get to disk: docker cp',
      run: (r) => execFileAsync('docker', ['cp', `${container.id}:/home/sandbox/cp.bin`, out('cp', r)]),
      check: (r) => checkLocal(out('cp', r)),
    },
    { name: 'get to memory: getFile, exec route', run: () => getFile(container, 'cp.bin', { ...base, via: 'exec' }), check: async () => {} },
    { name: 'get to memory: getFile, archive route', run: () => getFile(container, 'cp.bin', { ...base, via: 'archive' }), check: async () => {} },
  ];

  const times = new Map<string, number[]>(paths.map((p) => [p.name, []]));
  try {
    for (let round = 0; round < rounds + 1; round += 1) {
      process.stderr.write(round === 0 ? 'warm-up round...\n' : `round ${round}/${rounds}...\n`);
      for (const path of paths) {
        const started = performance.now();
        const result = await path.run(round);
        const ms = performance.now() - started;
        if (Buffer.isBuffer(result) && createHash('sha256').update(result).digest('hex') !== expected) throw new Error(`${path.name}: wrong bytes`);
        await path.check(round);
        await rm(out('exec', round), { force: true });
        await rm(out('archive', round), { force: true });
        await rm(out('cp', round), { force: true });
        if (round > 0) times.get(path.name)?.push(ms);
      }
    }
  } finally {
    await runner.stop();
    await rm(dir, { recursive: true, force: true });
  }

  const rows = paths.map((p) => {
    const ms = median(times.get(p.name) ?? []);
    return { path: p.name, medianMs: Math.round(ms), mbPerSecond: Math.round((size / 1e6 / ms) * 1000) };
  });
  const cp = (prefix: string): number => rows.find((row) => row.path === `${prefix}: docker cp`)?.medianMs ?? Number.NaN;
  console.log(`\n${megabytes} MB file, median of ${rounds} rounds (default sandbox: nobody, writable root)\n`);
  console.log(`${'path'.padEnd(44)} ${'median ms'.padStart(10)} ${'MB/s'.padStart(6)} ${'x docker cp'.padStart(12)}`);
  for (const row of rows) {
    const baseline = cp(row.path.startsWith('put') ? 'put' : 'get to disk');
    console.log(
      `${row.path.padEnd(44)} ${String(row.medianMs).padStart(10)} ${String(row.mbPerSecond).padStart(6)} ${(row.medianMs / baseline).toFixed(2).padStart(12)}`,
    );
  }
  await mkdir(new URL('./results/', import.meta.url), { recursive: true });
  await writeFile(RESULTS_FILE, `${JSON.stringify({ date: new Date().toISOString(), megabytes, rounds, rows }, null, 2)}\n`);
}

await main();
