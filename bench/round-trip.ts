/**
 * Round-trip latency of the command `true` through four paths, measured one after another in one run:
 *
 * 1. DockerRunner: a warm runner's `run('true')`, with all of the session's guarantees;
 * 2. docker exec: `docker exec <id> true` through the CLI, the usual way to script a container;
 *    and the same through dockerode's exec API (create, start attached, wait for the end, inspect
 *    for the exit code), what a Node program would do without a long-lived shell;
 * 3. bare attached bash: the same kind of container and attach connection as the runner, but a bare
 *    `true; echo M` per round trip: the floor of the Docker transport, with none of our guarantees;
 * 4. local bash session: the session on a local bash child, the floor of any transport;
 * 5. the frame alone, current and previous: the same minimal driver over a bare attach, writing
 *    the current frame (the command loop) or the one before it (an `eval` line per command), so
 *    the two differ only in what bash runs per command (bench/lib/frame-driver.ts).
 *
 * 6. under gVisor (runtime 'runsc', when the engine has it; else the bench says so and skips
 *    these rows): a bare attached bash, and DockerRunner's `run()` of `true`, of a 150-byte
 *    command and of a 2 KB one (a heredoc to `:`, no fork: the frame's cost, not gVisor's fork).
 *
 * Paths 1, 3, 4, 5 and 6 are measured interleaved (one round trip of each per round, in a new order each round).
 *
 * Usage: npm run bench   (BENCH_ITERATIONS, default 2000; BENCH_EXEC_ITERATIONS, default 200)
 * Prints a table and writes the figures to bench/results/round-trip.json.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { DockerRunner } from '../src/docker/docker-runner.js';
import { BASE_IMAGE } from '../src/docker/images.js';
import { containerSpec } from '../src/docker/container-spec.js';
import { resolveSandbox } from '../src/docker/sandbox-options.js';
import { DockerFrameDecoder } from '../src/protocol/docker-frames.js';
import type { CommandResult } from '../src/session/command-result.js';
import { startLocalSession } from '../src/session/local-bash.js';
import { positiveIntegerFromEnv } from './lib/env.js';
import { CURRENT_FRAMING, PREVIOUS_FRAMING, frameRoundTrip } from './lib/frame-driver.js';
import { benchEnvironment } from './lib/environment.js';
import { execTrue } from './lib/exec-true.js';
import { type PathResult, measureInterleaved, summarize } from './lib/paths.js';

const RESULTS_FILE = new URL('./results/round-trip.json', import.meta.url);
const FAST_WARMUP = 200;
// Every `docker exec` is a fresh CLI process, so there is little to warm beyond the engine itself.
const EXEC_WARMUP = 20;
const BARE_COMMAND = 'true; echo M\n';
const BARE_MARKER = 'M\n';
const BENCH_LABEL = 'dev.docker-shell.bench';
const GVISOR_RUNTIME = 'runsc';
/** A 150-byte command and a 2 KB one, builtins only, so that they time the frame rather than a fork. */
const COMMAND_150 = `: '${'x'.repeat(146)}'`;
const COMMAND_2K = `: <<'EOF'\n${`${'y'.repeat(99)}\n`.repeat(20)}EOF`;

const execFileAsync = promisify(execFile);

interface Config {
  iterations: number;
  execIterations: number;
}

type RoundTrip = () => Promise<unknown>;

function readConfig(): Config {
  return {
    iterations: positiveIntegerFromEnv('BENCH_ITERATIONS', 2000),
    execIterations: positiveIntegerFromEnv('BENCH_EXEC_ITERATIONS', 200),
  };
}

// --- measuring -------------------------------------------------------------------------------------

async function measurePath(path: string, roundTrip: RoundTrip, warmup: number, n: number, signal: AbortSignal): Promise<PathResult> {
  process.stderr.write(`${path}: ${warmup} warm-up + ${n} measured round trips...\n`);
  await repeat(roundTrip, warmup, signal);
  return summarize(path, await repeat(roundTrip, n, signal));
}

/** Runs `roundTrip` n times, one after another, and returns each one's duration in ms. */
async function repeat(roundTrip: RoundTrip, n: number, signal: AbortSignal): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    signal.throwIfAborted();
    const start = performance.now();
    await roundTrip();
    samples.push(performance.now() - start);
  }
  return samples;
}

/** A failed `true` would make the figures meaningless, so it stops the bench. */
function expectSuccess(result: CommandResult): void {
  if (result.exitCode !== 0) throw new Error(`\`${result.command}\` exited with ${result.exitCode}: ${result.output}`);
}

// --- the four paths --------------------------------------------------------------------------------

/** Paths 1, 3 and 4 interleaved; the exec paths (~200x slower) on their own against the runner's container. */
async function benchPaths(docker: Dockerode, config: Config, signal: AbortSignal): Promise<PathResult[]> {
  // Constructed outside `try` so that `stop()` also removes a container whose start was interrupted.
  const runner = new DockerRunner({ docker });
  const gvisor = await hasRuntime(docker, GVISOR_RUNTIME);
  if (!gvisor) process.stderr.write(`the engine has no runtime '${GVISOR_RUNTIME}': the gVisor rows are skipped\n`);
  const gRunner = gvisor ? new DockerRunner({ docker, runtime: GVISOR_RUNTIME }) : undefined;
  const [bare, current, previous] = await Promise.all([0, 1, 2].map(() => docker.createContainer(bareSpec())));
  const gBare = gvisor ? await docker.createContainer(bareSpec(GVISOR_RUNTIME)) : undefined;
  const sockets: Duplex[] = [];
  let local: Awaited<ReturnType<typeof startLocalSession>> | undefined;
  /** Attaches to a created container, starts it, and hands the connection to `use`. */
  const attached = async <T>(container: Dockerode.Container, use: (socket: Duplex) => T): Promise<T> => {
    const socket = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as Duplex;
    sockets.push(socket);
    const result = use(socket);
    await container.start();
    return result;
  };
  try {
    await runner.start();
    const bareTrip = await attached(bare as Dockerode.Container, bareRoundTrip);
    // dockerode's attach can leak its request body into bash's input: end it as a line of its own.
    sockets[0]?.write('\n');
    const currentFrame = await await attached(current as Dockerode.Container, (socket) => frameRoundTrip(socket, CURRENT_FRAMING));
    const previousFrame = await await attached(previous as Dockerode.Container, (socket) => frameRoundTrip(socket, PREVIOUS_FRAMING));
    const gPaths: Record<string, RoundTrip> = {};
    if (gRunner && gBare) {
      await gRunner.start();
      const gBareTrip = await attached(gBare, bareRoundTrip);
      sockets[sockets.length - 1]?.write('\n');
      gPaths['runsc: bare attached bash'] = gBareTrip;
      gPaths['runsc: DockerRunner true'] = async () => expectSuccess(await gRunner.run('true'));
      gPaths['runsc: DockerRunner 150 B'] = async () => expectSuccess(await gRunner.run(COMMAND_150));
      gPaths['runsc: DockerRunner 2 KB'] = async () => expectSuccess(await gRunner.run(COMMAND_2K));
    }
    local = await startLocalSession();
    const session = local.session;
    const fast = await measureInterleaved(
      {
        DockerRunner: async () => expectSuccess(await runner.run('true')),
        'bare attached bash': bareTrip,
        'local bash session': async () => expectSuccess(await session.run('true')),
        'frame alone: current (bare attach)': currentFrame,
        'frame alone: previous (bare attach)': previousFrame,
        ...gPaths,
      },
      FAST_WARMUP,
      config.iterations,
      signal,
    );
    const id = runner.id as string;
    const exec = await measurePath('docker exec', () => execFileAsync('docker', ['exec', id, 'true']), EXEC_WARMUP, config.execIterations, signal);
    const api = await measurePath('dockerode exec API', () => execTrue(docker.getContainer(id)), EXEC_WARMUP, config.execIterations, signal);
    return [fast[0] as PathResult, exec, api, ...fast.slice(1)];
  } finally {
    await local?.close();
    for (const socket of sockets) socket.destroy();
    await Promise.all([bare, current, previous, gBare].map((container) => container?.remove({ force: true, v: true })));
    await runner.stop();
    await gRunner?.stop();
  }
}

/** The runner's own container spec, so the floor is measured in the same container configuration. */
function bareSpec(runtime?: string): Dockerode.ContainerCreateOptions {
  return containerSpec({ image: BASE_IMAGE, sandbox: resolveSandbox(runtime ? { runtime } : {}), labels: { [BENCH_LABEL]: 'round-trip' } });
}

async function hasRuntime(docker: Dockerode, runtime: string): Promise<boolean> {
  const info = (await docker.info()) as { Runtimes?: Record<string, unknown> };
  return Object.hasOwn(info.Runtimes ?? {}, runtime);
}

/** One round trip writes the command and resolves when the marker line comes back on stdout. */
function bareRoundTrip(socket: Duplex): RoundTrip {
  let seen = '';
  let pending: { resolve: () => void; reject: (error: Error) => void } | undefined;
  const decoder = new DockerFrameDecoder((stream, payload) => {
    if (stream !== 1) return;
    seen += payload.toString('latin1');
    if (pending && seen.endsWith(BARE_MARKER)) {
      seen = '';
      pending.resolve();
      pending = undefined;
    }
  });
  socket.on('data', (chunk: Buffer) => {
    try {
      decoder.push(chunk);
    } catch (error) {
      socket.destroy(error as Error);
    }
  });
  socket.once('close', () => pending?.reject(new Error('the bare bash connection closed')));
  return () =>
    new Promise<void>((resolve, reject) => {
      pending = { resolve, reject };
      socket.write(BARE_COMMAND);
    });
}

// --- reporting -------------------------------------------------------------------------------------

function printReport(results: PathResult[], bareMedianMs: number): void {
  const header = ['path', 'n', 'median ms', 'p95 ms', 'p99 ms', 'x bare'];
  const rows = results.map((r) => [r.path, String(r.n), ms(r.medianMs), ms(r.p95Ms), ms(r.p99Ms), (r.medianMs / bareMedianMs).toFixed(2)]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] as string).length)));
  console.log(tableLine(header, widths));
  console.log(widths.map((width) => '-'.repeat(width)).join('-|-'));
  for (const row of rows) console.log(tableLine(row, widths));
}

/** The path column is left-aligned, the figures right-aligned. */
function tableLine(cells: string[], widths: number[]): string {
  return cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join(' | ');
}

function ms(value: number): string {
  return value.toFixed(3);
}

function medianOf(results: PathResult[], path: string): number {
  const result = results.find((r) => r.path === path);
  if (!result) throw new Error(`no result for ${path}`);
  return result.medianMs;
}

async function writeResults(docker: Dockerode, config: Config, results: PathResult[], checks: Record<string, number>): Promise<void> {
  const json = {
    ...(await benchEnvironment(docker)),
    iterations: { fast: config.iterations, exec: config.execIterations },
    warmup: { fast: FAST_WARMUP, exec: EXEC_WARMUP },
    paths: results,
    checks,
  };
  await mkdir(new URL('.', RESULTS_FILE), { recursive: true });
  await writeFile(RESULTS_FILE, `${JSON.stringify(json, null, 2)}\n`);
}

// --- main ------------------------------------------------------------------------------------------

/** Ctrl+C aborts the measurements so the `finally` blocks still remove the containers; a second one kills. */
function abortOnInterrupt(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onInterrupt = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onInterrupt);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onInterrupt) };
}

async function main(): Promise<void> {
  const config = readConfig();
  const docker = new Dockerode();
  const interrupt = abortOnInterrupt();
  try {
    const results = await benchPaths(docker, config, interrupt.signal);
    const runnerOverBare = medianOf(results, 'DockerRunner') / medianOf(results, 'bare attached bash');
    const execOverRunner = medianOf(results, 'docker exec') / medianOf(results, 'DockerRunner');
    const apiOverRunner = medianOf(results, 'dockerode exec API') / medianOf(results, 'DockerRunner');
    printReport(results, medianOf(results, 'bare attached bash'));
    console.log();
    const frameCurrentOverPrevious = medianOf(results, 'frame alone: current (bare attach)') / medianOf(results, 'frame alone: previous (bare attach)');
    console.log(`DockerRunner median / bare attached bash = ${runnerOverBare.toFixed(2)} (the 1.3 target is retired)`);
    console.log(`frame alone, current / previous = ${frameCurrentOverPrevious.toFixed(2)} (aim <= 1.10)`);
    console.log(`docker exec median / DockerRunner median = ${execOverRunner.toFixed(1)} (target >= 100)`);
    console.log(`dockerode exec API median / DockerRunner median = ${apiOverRunner.toFixed(1)}`);
    const checks: Record<string, number> = { runnerOverBare, execOverRunner, apiOverRunner, frameCurrentOverPrevious };
    if (results.some((r) => r.path === 'runsc: DockerRunner true')) {
      const trueMs = medianOf(results, 'runsc: DockerRunner true');
      checks.runscTrueOverBare = trueMs / medianOf(results, 'runsc: bare attached bash');
      checks.runsc150OverTrue = medianOf(results, 'runsc: DockerRunner 150 B') / trueMs;
      checks.runsc2kOverTrue = medianOf(results, 'runsc: DockerRunner 2 KB') / trueMs;
      console.log(`runsc: DockerRunner true / runsc bare attached bash = ${checks.runscTrueOverBare.toFixed(2)} (aim <= 2)`);
      console.log(`runsc: 150 B command / true = ${checks.runsc150OverTrue.toFixed(2)}; 2 KB command / true = ${checks.runsc2kOverTrue.toFixed(2)} (aim <= 3)`);
    } else {
      console.log(`runsc rows skipped: the engine has no runtime '${GVISOR_RUNTIME}'`);
    }
    await writeResults(docker, config, results, checks);
  } finally {
    interrupt.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
