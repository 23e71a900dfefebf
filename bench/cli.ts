/**
 * The command line's own cost, side by side with the engine's: per round, interleaved so that
 * drifting load weighs on every path alike,
 *
 * - `docker run --rm IMAGE true` (the baseline: a throw-away container, created, started, removed);
 * - `node dist/cli/main.js run -- true` (what a user who installed the package runs);
 * - the same through the package's bin, a symlink as npm installs it (`#!/usr/bin/env node`);
 * - `npx docker-shell run -- true` from a project that has it installed (npm's own start-up on top);
 * - `node dist/cli/main.js --version` (the CLI's module loading and nothing else);
 * - `import('docker-shell')` in a bare Node against `node -e 0` (the library's import cost).
 *
 * The CLI is measured as built: the bench runs `npm run build` first, so dist/ is the source's.
 *
 * Usage: npm run bench   (CLI_ROUNDS, default 10: rounds; CLI_NPX=0 leaves npx out)
 * Prints a table and writes the figures to bench/results/cli.json.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Dockerode from 'dockerode';
import { BASE_IMAGE } from '../src/docker/images.js';
import { positiveIntegerFromEnv } from './lib/env.js';
import { benchEnvironment } from './lib/environment.js';
import { printTable, shuffled, summarize, type PathResult } from './lib/paths.js';

const RESULTS_FILE = new URL('./results/cli.json', import.meta.url);
const ROUNDS = positiveIntegerFromEnv('CLI_ROUNDS', 10);
const WITH_NPX = process.env.CLI_NPX !== '0';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');

console.log('building dist/ (npm run build)...');
execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });

// A project with docker-shell installed, as npm lays it out: node_modules/docker-shell and its bin.
const project = await mkdtemp(join(tmpdir(), 'docker-shell-cli-bench-'));
await mkdir(join(project, 'node_modules', '.bin'), { recursive: true });
await symlink(ROOT, join(project, 'node_modules', 'docker-shell'), 'dir');
await symlink('../docker-shell/dist/cli/main.js', join(project, 'node_modules', '.bin', 'docker-shell'));
await writeFile(join(project, 'package.json'), '{ "name": "cli-bench", "private": true }\n');
const BIN = join(project, 'node_modules', '.bin', 'docker-shell');

interface Path {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
}

const imports = "await import('docker-shell')";
const paths: Path[] = [
  { name: `docker run --rm ${BASE_IMAGE} true`, command: 'docker', args: ['run', '--rm', BASE_IMAGE, 'true'] },
  { name: 'node dist/cli/main.js run -- true', command: process.execPath, args: [MAIN, 'run', '--', 'true'] },
  { name: 'node_modules/.bin/docker-shell run -- true', command: BIN, args: ['run', '--', 'true'], cwd: project },
  ...(WITH_NPX ? [{ name: 'npx docker-shell run -- true', command: 'npx', args: ['--no', 'docker-shell', 'run', '--', 'true'], cwd: project }] : []),
  { name: 'node dist/cli/main.js --version', command: process.execPath, args: [MAIN, '--version'] },
  { name: 'node -e 0', command: process.execPath, args: ['-e', '0'] },
  { name: 'node -e "await import(\'docker-shell\')"', command: process.execPath, args: ['--input-type=module', '-e', imports], cwd: ROOT },
];

/** Runs one path to its exit (its output discarded) and returns how long that took, ms. */
function timedRun(path: Path): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(path.command, path.args, { cwd: path.cwd ?? ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const elapsedMs = performance.now() - started;
      if (code === 0) resolve(elapsedMs);
      else reject(new Error(`${path.name} exited with ${code}: ${stderr.trim()}`));
    });
  });
}

const samples = new Map<string, number[]>(paths.map((path) => [path.name, []]));
try {
  for (const path of paths) await timedRun(path); // warm-up: file cache, the image, npm's cache
  // A new order each round, so that no path always follows the same one: a CLI run's container is
  // still being removed by its reaper while the next process starts.
  for (let round = 0; round < ROUNDS; round++) {
    for (const path of shuffled(paths)) samples.get(path.name)?.push(await timedRun(path));
  }
} finally {
  await rm(project, { recursive: true, force: true });
}

const results: PathResult[] = paths.map((path) => summarize(path.name, samples.get(path.name) ?? []));
const baseline = results[0] as PathResult;
console.log(`\ncommand line cost (${ROUNDS} rounds, interleaved in a new order each round; wall time of each process to its exit)`);
printTable(results, baseline);
const bare = results.find((result) => result.path === 'node -e 0') as PathResult;
const imported = results.at(-1) as PathResult;
console.log(`import('docker-shell') costs ${(imported.medianMs - bare.medianMs).toFixed(0)} ms over a bare node (median)`);

await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(RESULTS_FILE, `${JSON.stringify({ environment: await benchEnvironment(new Dockerode()), rounds: ROUNDS, results }, null, 2)}\n`);
