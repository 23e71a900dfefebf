/**
 * Where a flood of stdout spends its time: the same command (`head -c THROUGHPUT_BYTES /dev/zero`)
 * through DockerRunner, through a bare attach connection with no session at all, and through the
 * baselines, interleaved round by round, with the CPU time each stage of the pipeline used.
 *
 * Paths:
 * - attach, bytes only: a hijacked dockerode attach to a container of the runner's own spec running
 *   bash, its 'data' events counted and nothing else. The ceiling of anything built on attach.
 * - attach + DockerFrameDecoder / + docker-modem demuxStream: the same, demultiplexed.
 * - DockerRunner run() keeping 16 MiB (the default), run() keeping 1 KiB, stream().
 * - docker exec / docker attach through the CLI, stdout piped into this process.
 * - FIFO from the host: the command writes into a named pipe bind-mounted from the host, which this
 *   process reads; no containerd-shim, no dockerd on the data path. Not something the runner does:
 *   it shows what the attach path costs.
 * - local bash session: the Session over a bash child process, no Docker.
 *
 * CPU seconds per stage (median over rounds) come from /proc and the container's cpuacct cgroup
 * (cgroup v1 or v2), so they need a local engine; they read n/a otherwise.
 *
 * Usage: node --expose-gc --import tsx bench/throughput.ts
 *   THROUGHPUT_BYTES (200000000), ROUNDS (5), PATHS (comma-separated keys of PATH_NAMES),
 *   IDLE_WAIT_MS (120000: before each measurement, how long to wait for an idle machine)
 * Prints a table and writes bench/results/throughput.json.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, constants, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import Dockerode from 'dockerode';
import { containerSpec } from '../src/docker/container-spec.js';
import { DockerRunner } from '../src/docker/docker-runner.js';
import { BASE_IMAGE } from '../src/docker/images.js';
import { resolveSandbox } from '../src/docker/sandbox-options.js';
import { DockerFrameDecoder } from '../src/protocol/docker-frames.js';
import { startLocalSession, type LocalSession } from '../src/session/local-bash.js';
import { positiveIntegerFromEnv } from './lib/env.js';
import { benchEnvironment } from './lib/environment.js';

const RESULTS_FILE = new URL('./results/throughput.json', import.meta.url);
const BYTES = positiveIntegerFromEnv('THROUGHPUT_BYTES', 200_000_000);
const ROUNDS = positiveIntegerFromEnv('ROUNDS', 5);
const FLOOD = `head -c ${BYTES} /dev/zero`;
const LABELS = { 'docker-shell.bench': 'throughput' };
const LONG = { timeoutMs: 600_000 };
/** A flood that takes longer than this failed (say, the engine went away under it). */
const FLOOD_TIMEOUT_MS = 600_000;
/** How long to wait for a machine busy with something else before measuring anyway. */
const IDLE_WAIT_MS = positiveIntegerFromEnv('IDLE_WAIT_MS', 120_000);

const PATH_NAMES = {
  attachBytes: 'attach, bytes only',
  attachDecoder: 'attach + DockerFrameDecoder',
  attachModem: 'attach + docker-modem demuxStream',
  runner: 'DockerRunner run(), 16 MiB kept',
  runnerSmall: 'DockerRunner run(), 1 KiB kept',
  runnerStream: 'DockerRunner stream()',
  exec: 'docker exec (CLI)',
  cliAttach: 'docker attach (CLI)',
  fifo: 'FIFO from the host (no shim, no dockerd)',
  local: 'local bash session',
} as const;
type PathKey = keyof typeof PATH_NAMES;

const docker = new Dockerode();
const sandbox = resolveSandbox({});
const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const log = (message: string): void => void process.stderr.write(`${message}\n`);

// --- CPU accounting ---------------------------------------------------------------------------------

interface CpuSample {
  node: number;
  dockerd: number;
  shim: number;
  containers: number;
  /** Everything the machine did meanwhile, ours or not (user, nice, system, irq, softirq). */
  machine: number;
}
const STAGES = ['node', 'dockerd', 'shim', 'containers', 'machine'] as const;
const TICKS = 100;

/** CPU seconds so far of each dockerd and containerd-shim process, by pid. */
function processCpu(): Map<string, { stage: 'dockerd' | 'shim'; seconds: number }> {
  const out = new Map<string, { stage: 'dockerd' | 'shim'; seconds: number }>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    } catch {
      continue;
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const stage = comm === 'dockerd' ? 'dockerd' : comm.startsWith('containerd-shim') ? 'shim' : undefined;
    if (!stage) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(pid, { stage, seconds: (Number(fields[11]) + Number(fields[12])) / TICKS });
  }
  return out;
}

/** CPU seconds of a container's cgroup: cgroup v1 (cpuacct), or v2 with either cgroup driver. */
function containerCpu(id: string): number {
  const candidates: [string, (text: string) => number][] = [
    [`/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`, (text) => Number(text) / 1e9],
    [`/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`, usageUsec],
    [`/sys/fs/cgroup/docker/${id}/cpu.stat`, usageUsec],
  ];
  for (const [path, parse] of candidates) {
    if (existsSync(path)) return parse(readFileSync(path, 'latin1'));
  }
  return NaN;
}
function usageUsec(text: string): number {
  const match = /^usage_usec (\d+)$/m.exec(text);
  return match ? Number(match[1]) / 1e6 : NaN;
}

function machineBusy(): number {
  const fields = (readFileSync('/proc/stat', 'latin1').split('\n')[0] as string).trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq] = fields as number[];
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0)) / TICKS;
}

interface CpuSnapshot {
  node: number;
  processes: ReturnType<typeof processCpu>;
  containers: Map<string, number>;
  machine: number;
}

function cpuNow(containerIds: string[]): CpuSnapshot {
  const usage = process.resourceUsage();
  return {
    node: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
    processes: processCpu(),
    containers: new Map(containerIds.map((id) => [id, containerCpu(id)])),
    machine: machineBusy(),
  };
}

/** What each stage used between two snapshots. A process that started meanwhile counts whole; one that ended is lost. */
function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): CpuSample {
  const sample: CpuSample = { node: after.node - before.node, dockerd: 0, shim: 0, containers: 0, machine: after.machine - before.machine };
  for (const [pid, { stage, seconds }] of after.processes) sample[stage] += seconds - (before.processes.get(pid)?.seconds ?? 0);
  for (const [id, seconds] of after.containers) sample.containers += seconds - (before.containers.get(id) ?? 0);
  return sample;
}

/** Lets garbage of the previous round go, then waits (bounded) for a machine with nothing else to do. */
async function settle(): Promise<boolean> {
  (globalThis as { gc?: () => void }).gc?.();
  const deadline = Date.now() + IDLE_WAIT_MS;
  let quiet = 0;
  while (Date.now() < deadline) {
    const before = machineBusy();
    await sleep(400);
    quiet = machineBusy() - before < 0.4 * 0.12 ? quiet + 1 : 0;
    if (quiet === 3) return true;
  }
  return false;
}

// --- the paths ----------------------------------------------------------------------------------------

interface Attached {
  container: Dockerode.Container;
  socket: Duplex;
}

async function attachedBash(extraSandbox: Parameters<typeof resolveSandbox>[0] = {}): Promise<Attached> {
  const spec = containerSpec({ image: BASE_IMAGE, sandbox: resolveSandbox(extraSandbox), labels: LABELS });
  const container = await docker.createContainer(spec);
  const socket = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as Duplex;
  await container.start();
  // A newline first: whatever dockerode's request left in bash's input ends as a line of its own.
  socket.write('\n');
  return { container, socket };
}

type AttachMode = 'bytes' | 'decoder' | 'modem';

/**
 * Runs the flood followed by `printf Z` on a bare attached bash. Bytes only: done when more than
 * BYTES have arrived and a chunk ends in 'Z' (zeros and 'Z' may share a frame: Docker frames what
 * it read, not what was written). Demultiplexed: done at BYTES + 1 payload bytes.
 */
function attachFlood({ socket }: Attached, mode: AttachMode): Promise<void> {
  return new Promise((resolve, reject) => {
    // The engine restarting or the container dying must fail the bench, not hang it.
    const onGone = () => reject(new Error('the attach connection ended during a flood'));
    socket.once('close', onGone);
    let raw = 0;
    let payload = 0;
    const onPayload = (bytes: number) => {
      payload += bytes;
      if (payload === BYTES + 1) finish();
    };
    let finish: () => void;
    if (mode === 'bytes') {
      const onData = (chunk: Buffer) => {
        raw += chunk.length;
        if (raw > BYTES && chunk[chunk.length - 1] === 0x5a) finish();
      };
      socket.on('data', onData);
      finish = () => (socket.off('data', onData), socket.off('close', onGone), resolve());
    } else if (mode === 'decoder') {
      const decoder = new DockerFrameDecoder((_stream, data) => onPayload(data.length));
      const onData = (chunk: Buffer) => decoder.push(chunk);
      socket.on('data', onData);
      finish = () => (socket.off('data', onData), socket.off('close', onGone), resolve());
    } else {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      stdout.on('data', (chunk: Buffer) => onPayload(chunk.length));
      stderr.resume();
      docker.modem.demuxStream(socket, stdout, stderr);
      finish = () => (socket.removeAllListeners('data'), socket.off('close', onGone), resolve());
    }
    socket.write(`${FLOOD}; printf Z\n`);
  });
}

/** `docker exec <id> sh -c FLOOD`, its stdout piped here and counted. */
function execFlood(id: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', ['exec', id, 'sh', '-c', FLOOD], { stdio: ['ignore', 'pipe', 'ignore'] });
    let bytes = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    child.once('error', reject);
    child.once('close', () => (bytes === BYTES ? resolve() : reject(new Error(`docker exec: ${bytes} of ${BYTES} bytes`))));
  });
}

/**
 * `docker attach` to a fresh container of the runner's spec: the flood is sent once the CLI has
 * had time to attach, and timed from then (`onStart`) to the last byte (`onEnd`). Returns the
 * seconds (the CLI's own start and the container's are not counted).
 */
async function cliAttachFlood(onStart: (containerId: string) => void, onEnd: () => void): Promise<number> {
  const spec = containerSpec({ image: BASE_IMAGE, sandbox, labels: LABELS });
  const container = await docker.createContainer(spec);
  await container.start();
  try {
    return await new Promise<number>((resolve, reject) => {
      const child = spawn('docker', ['attach', '--sig-proxy=false', container.id], { stdio: ['pipe', 'pipe', 'ignore'] });
      let bytes = 0;
      let start = 0;
      child.stdout.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (start > 0 && bytes > BYTES && chunk[chunk.length - 1] === 0x5a) {
          resolve((performance.now() - start) / 1000);
          start = 0;
          onEnd();
          child.kill('SIGKILL');
        }
      });
      child.once('error', reject);
      setTimeout(() => {
        onStart(container.id);
        start = performance.now();
        child.stdin.write(`\n${FLOOD}; printf Z\n`);
      }, 1500);
    });
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
}

interface FifoBash extends Attached {
  fifo: string;
  dir: string;
}

/** A bash whose container sees a host directory holding one named pipe, at /ds (read-only). */
async function fifoBash(): Promise<FifoBash> {
  const dir = mkdtempSync(join(tmpdir(), 'docker-shell-fifo-'));
  chmodSync(dir, 0o755);
  const fifo = join(dir, 'out');
  execFileSync('mkfifo', ['-m', '666', fifo]);
  const attached = await attachedBash({ mounts: [{ source: dir, target: '/ds', readOnly: true }] });
  attached.socket.resume();
  return { ...attached, fifo, dir };
}

async function fifoFlood({ socket, fifo }: FifoBash): Promise<void> {
  // Non-blocking, so libuv reads it as a stream on this thread (not a thread-pool file read).
  const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const reader = new Socket({ fd, readable: true, writable: false });
  const bytes = await new Promise<number>((resolve, reject) => {
    let n = 0;
    reader.on('data', (chunk: Buffer) => {
      n += chunk.length;
    });
    reader.once('end', () => resolve(n));
    reader.once('error', reject);
    socket.write(`${FLOOD} > /ds/out\n`);
  });
  reader.destroy();
  if (bytes !== BYTES) throw new Error(`FIFO: ${bytes} of ${BYTES} bytes`);
}

// --- main ---------------------------------------------------------------------------------------------

interface PathFigure {
  path: string;
  mbPerSecond: number;
  roundsMbPerSecond: number[];
  /** Median CPU seconds per round, by stage; NaN where it could not be read. */
  cpuSeconds: Record<(typeof STAGES)[number], number>;
  wallSeconds: number;
}

async function main(): Promise<void> {
  const wanted = (process.env.PATHS ?? Object.keys(PATH_NAMES).join(',')).split(',') as PathKey[];
  for (const key of wanted) if (!(key in PATH_NAMES)) throw new Error(`PATHS: unknown path ${key} (known: ${Object.keys(PATH_NAMES).join(', ')})`);
  if (!(globalThis as { gc?: unknown }).gc) log('(run with node --expose-gc --import tsx for a GC between rounds)');
  log(`throughput: ${ROUNDS} rounds of \`${FLOOD}\` through ${wanted.length} paths, interleaved...`);

  const needsAttach = wanted.some((key) => key.startsWith('attach') || key === 'exec');
  const attached = needsAttach ? await attachedBash() : undefined;
  const runner = wanted.some((key) => key.startsWith('runner')) ? await new DockerRunner().start() : undefined;
  const fifo = wanted.includes('fifo') ? await fifoBash() : undefined;
  let local: LocalSession | undefined;
  if (wanted.includes('local')) local = await startLocalSession();
  const containerIds = [attached?.container.id, runner?.id, fifo?.container.id].filter((id): id is string => id !== undefined);

  const seconds: Record<string, number[]> = {};
  const cpu: Record<string, CpuSample[]> = {};
  let busyRounds = 0;
  const environment = await benchEnvironment(docker);
  try {
    // One warm-up flood per path that has a connection of its own.
    if (attached) await attachFlood(attached, 'bytes');
    if (runner) await runner.run(FLOOD, LONG);
    if (fifo) await fifoFlood(fifo);
    if (local) await local.session.run(FLOOD, LONG);
    for (let round = 0; round < ROUNDS; round++) {
      for (const key of wanted) {
        if (!(await settle())) busyRounds++;
        let before = cpuNow(containerIds);
        let after: CpuSnapshot | undefined;
        const start = performance.now();
        let elapsed: number | undefined;
        const timer = setTimeout(() => {
          log(`${PATH_NAMES[key]}: no end after ${FLOOD_TIMEOUT_MS} ms; giving up`);
          process.exit(1);
        }, FLOOD_TIMEOUT_MS);
        switch (key) {
          case 'attachBytes':
            await attachFlood(attached as Attached, 'bytes');
            break;
          case 'attachDecoder':
            await attachFlood(attached as Attached, 'decoder');
            break;
          case 'attachModem':
            await attachFlood(attached as Attached, 'modem');
            break;
          case 'runner':
            await (runner as DockerRunner).run(FLOOD, LONG);
            break;
          case 'runnerSmall':
            await (runner as DockerRunner).run(FLOOD, { ...LONG, maxOutputBytes: 1024 });
            break;
          case 'runnerStream':
            for await (const event of (runner as DockerRunner).stream(FLOOD, LONG)) void event;
            break;
          case 'exec':
            await execFlood((attached as Attached).container.id);
            break;
          case 'cliAttach':
            elapsed = await cliAttachFlood(
              (id) => (before = cpuNow([id])),
              () => (after = cpuNow(before.containers.size ? [...before.containers.keys()] : [])),
            );
            break;
          case 'fifo':
            await fifoFlood(fifo as FifoBash);
            break;
          case 'local':
            await (local as LocalSession).session.run(FLOOD, LONG);
            break;
        }
        clearTimeout(timer);
        const wall = elapsed ?? (performance.now() - start) / 1000;
        after ??= cpuNow(containerIds);
        (seconds[key] ??= []).push(wall);
        (cpu[key] ??= []).push(cpuBetween(before, after));
      }
      log(`  round ${round + 1}/${ROUNDS} done`);
    }
  } finally {
    await Promise.all([attached, fifo].map((a) => a?.container.remove({ force: true }).catch(() => {})));
    if (fifo) rmSync(fifo.dir, { recursive: true, force: true });
    await runner?.stop();
    await local?.close();
  }

  const figures: PathFigure[] = wanted.map((key) => {
    const walls = seconds[key] as number[];
    const samples = cpu[key] as CpuSample[];
    const wallSeconds = median(walls);
    return {
      path: PATH_NAMES[key],
      mbPerSecond: BYTES / 1e6 / wallSeconds,
      roundsMbPerSecond: walls.map((s) => Math.round(BYTES / 1e6 / s)),
      cpuSeconds: Object.fromEntries(STAGES.map((stage) => [stage, median(samples.map((s) => s[stage]))])) as PathFigure['cpuSeconds'],
      wallSeconds,
    };
  });
  const localFigure = figures.find((f) => f.path === PATH_NAMES.local);
  const cell = (x: number) => (Number.isNaN(x) ? 'n/a' : x.toFixed(2));
  console.log(`Stdout throughput of \`${FLOOD}\`, median of ${ROUNDS} interleaved rounds (MB = 10^6 bytes); CPU seconds per round by stage (medians):`);
  const header = ['path', 'MB/s', 'x local', 'rounds MB/s', 'wall s', 'node', 'dockerd', 'shim', 'container', 'machine'];
  const rows = figures.map((f) => [
    f.path,
    f.mbPerSecond.toFixed(0),
    localFigure ? (f.mbPerSecond / localFigure.mbPerSecond).toFixed(2) : '',
    f.roundsMbPerSecond.join(', '),
    f.wallSeconds.toFixed(2),
    ...(['node', 'dockerd', 'shim', 'containers', 'machine'] as const).map((stage) => cell(f.cpuSeconds[stage])),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const row of rows) console.log(line(row));
  if (busyRounds > 0) console.log(`(${busyRounds} measurements started on a machine busy with something else)`);

  await mkdir(new URL('./results/', import.meta.url), { recursive: true });
  await writeFile(RESULTS_FILE, `${JSON.stringify({ ...environment, config: { BYTES, ROUNDS }, busyRounds, figures }, null, 2)}\n`);
}

await main();
