/**
 * Port forwarding, measured side by side in one run, against the same Perl echo server
 * (test/helpers/echo-server.ts) reached three ways:
 *
 * - `forwardPort`: in a runner's sandbox (network off), through `runner.forwardPort()`'s relay;
 * - `published port`: in a container on the bridge network with its port published on 127.0.0.1
 *   (the engine's own path: docker-proxy or iptables);
 * - `host`: the server run on the host, connected to directly.
 *
 * - `bare exec (cat)`, throughput only: the body through a `docker exec cat`'s stdin and stdout in
 *   the same sandbox, no relay and no TCP: the ceiling of anything carried over an exec.
 *
 * Figures: the first response of a new connection (connect, send a small request, first byte of
 * the answer: median, p95), a round trip on an open connection, and the throughput of a body sent
 * and echoed back whole (MB of body per second). Rounds alternate between the paths, so drifting
 * load weighs on all three.
 *
 * Usage: npm run bench   (PORT_REQUESTS, default 300: new connections per path;
 *                         PORT_BYTES, default 50000000: the body; PORT_ROUNDS, default 3: bodies per path)
 * Prints two tables and writes the figures to bench/results/ports.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import Dockerode from 'dockerode';
import { DockerRunner } from '../src/docker/docker-runner.js';
import { BASE_IMAGE } from '../src/docker/images.js';
import { runnerLabels } from '../src/docker/labels.js';
import { DockerFrameDecoder } from '../src/protocol/docker-frames.js';
import { echoServerArgv, echoServerCommand } from '../test/helpers/echo-server.js';
import { positiveIntegerFromEnv } from './lib/env.js';
import { benchEnvironment } from './lib/environment.js';

const RESULTS_FILE = new URL('./results/ports.json', import.meta.url);
const SERVER_PORT = 8080;
const WARMUP = 20;
const BARE_EXEC = 'bare exec (cat)';
const REQUEST = Buffer.from(`GET / HTTP/1.1\r\nHost: bench\r\n${'x'.repeat(60)}\r\n\r\n`);

interface Path {
  name: string;
  port: number;
}

interface LatencyResult {
  path: string;
  n: number;
  medianMs: number;
  p95Ms: number;
}

interface ThroughputResult {
  path: string;
  rounds: number;
  bytes: number;
  medianMBps: number;
}

function quantile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1] as number;
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Connect, send the request, and time until the first byte of the answer. */
async function firstResponseMs(port: number): Promise<number> {
  const started = performance.now();
  const socket = await open(port);
  await new Promise<void>((resolve, reject) => {
    socket.once('data', () => resolve());
    socket.once('error', reject);
    socket.write(REQUEST);
  });
  const elapsed = performance.now() - started;
  socket.destroy();
  return elapsed;
}

async function roundTripMs(socket: Socket): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve) => {
    let got = 0;
    const onData = (chunk: Buffer): void => {
      got += chunk.length;
      if (got < REQUEST.length) return;
      socket.off('data', onData);
      resolve();
    };
    socket.on('data', onData);
    socket.write(REQUEST);
  });
  return performance.now() - started;
}

/** Sends `body`, half-closes, reads the echo to its end; MB of body per second. */
async function echoMBps(port: number, body: Buffer): Promise<number> {
  const started = performance.now();
  const socket = await open(port);
  const received = await new Promise<number>((resolve, reject) => {
    let got = 0;
    socket.on('data', (chunk: Buffer) => (got += chunk.length));
    socket.on('end', () => resolve(got));
    socket.on('error', reject);
    socket.end(body);
  });
  if (received !== body.length) throw new Error(`echoed ${received} of ${body.length} bytes`);
  return body.length / 1e6 / ((performance.now() - started) / 1000);
}

async function benchLatency(paths: Path[], requests: number): Promise<LatencyResult[]> {
  process.stderr.write(`first response of a new connection / round trip on an open one: ${WARMUP} warm-up + ${requests} per path...\n`);
  const fresh = new Map(paths.map((path) => [path.name, [] as number[]]));
  const warm = new Map(paths.map((path) => [path.name, [] as number[]]));
  const sockets = await Promise.all(paths.map((path) => open(path.port)));
  for (let i = -WARMUP; i < requests; i++) {
    for (const [index, path] of paths.entries()) {
      const first = await firstResponseMs(path.port);
      const trip = await roundTripMs(sockets[index] as Socket);
      if (i < 0) continue;
      fresh.get(path.name)?.push(first);
      warm.get(path.name)?.push(trip);
    }
  }
  for (const socket of sockets) socket.destroy();
  const summarize = (label: string, samples: Map<string, number[]>): LatencyResult[] =>
    [...samples].map(([name, values]) => ({ path: `${name}: ${label}`, n: values.length, medianMs: quantile(values, 50), p95Ms: quantile(values, 95) }));
  return [...summarize('new connection, first response', fresh), ...summarize('open connection, round trip', warm)];
}

/** Sends `body` through `cat` in a `docker exec` and reads it back; MB of body per second. */
async function execCatMBps(container: Dockerode.Container, body: Buffer): Promise<number> {
  const exec = await container.exec({ Cmd: ['cat'], AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false });
  const socket = (await exec.start({ hijack: true, stdin: true })) as Duplex;
  const started = performance.now();
  let received = 0;
  // Docker's 8-byte frame headers, one per pipe read of at most 32 KiB, are counted out.
  const decoder = new DockerFrameDecoder((_, payload) => (received += payload.length));
  socket.on('data', (chunk: Buffer) => decoder.push(chunk));
  socket.end(body);
  await new Promise((resolve) => socket.once('end', resolve));
  if (received !== body.length) throw new Error(`cat gave back ${received} of ${body.length} bytes`);
  return body.length / 1e6 / ((performance.now() - started) / 1000);
}

async function benchThroughput(paths: Path[], container: Dockerode.Container, bytes: number, rounds: number): Promise<ThroughputResult[]> {
  process.stderr.write(`${(bytes / 1e6).toFixed(0)} MB body sent and echoed back: ${rounds} rounds per path...\n`);
  const body = Buffer.alloc(bytes, 'docker-shell ');
  const rates = new Map([...paths.map((path) => path.name), BARE_EXEC].map((name) => [name, [] as number[]]));
  for (let round = 0; round < rounds; round++) {
    for (const path of paths) rates.get(path.name)?.push(await echoMBps(path.port, body));
    rates.get(BARE_EXEC)?.push(await execCatMBps(container, body));
  }
  return [...rates].map(([path, values]) => ({ path, rounds, bytes, medianMBps: quantile(values, 50) }));
}

/** The echo server in a container on the bridge network, its port published on 127.0.0.1 (any free port). */
async function publishedServer(docker: Dockerode): Promise<{ container: Dockerode.Container; port: number }> {
  const container = await docker.createContainer({
    Image: BASE_IMAGE,
    Entrypoint: ['bash', '-c', echoServerCommand(SERVER_PORT, true)],
    Labels: runnerLabels('bench-ports'),
    ExposedPorts: { [`${SERVER_PORT}/tcp`]: {} },
    HostConfig: {
      NetworkMode: 'bridge',
      PortBindings: { [`${SERVER_PORT}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: '' }] },
      LogConfig: { Type: 'none', Config: {} },
    },
  });
  try {
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    const listening = new Promise<void>((resolve) => stream.on('data', (chunk: Buffer) => chunk.includes('listening') && resolve()));
    await container.start();
    await listening;
    (stream as { destroy?: () => void }).destroy?.();
    const info = await container.inspect();
    const port = Number(info.NetworkSettings.Ports[`${SERVER_PORT}/tcp`]?.[0]?.HostPort);
    return { container, port };
  } catch (error) {
    await container.remove({ force: true });
    throw error;
  }
}

/** The echo server on the host, on a free port it reports. */
async function hostServer(): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const [command, ...args] = echoServerArgv(port);
  const child = spawn(command as string, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the host echo server exited (${code})`)));
  });
  return { child, port };
}

/** A port free right now on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function printLatency(results: LatencyResult[]): void {
  printTable(
    ['path', 'n', 'median ms', 'p95 ms'],
    results.map((r) => [r.path, String(r.n), r.medianMs.toFixed(3), r.p95Ms.toFixed(3)]),
  );
}

function printThroughput(results: ThroughputResult[], baseline: ThroughputResult): void {
  printTable(
    ['path', 'rounds', 'body MB', 'median MB/s', `x ${baseline.path}`],
    results.map((r) => [r.path, String(r.rounds), (r.bytes / 1e6).toFixed(0), r.medianMBps.toFixed(1), (r.medianMBps / baseline.medianMBps).toFixed(2)]),
  );
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] as string).length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(' | ');
  console.log(line(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('-|-'));
  for (const row of rows) console.log(line(row));
}

async function main(): Promise<void> {
  const requests = positiveIntegerFromEnv('PORT_REQUESTS', 300);
  const bytes = positiveIntegerFromEnv('PORT_BYTES', 50_000_000);
  const rounds = positiveIntegerFromEnv('PORT_ROUNDS', 3);
  const docker = new Dockerode();
  const runner = new DockerRunner({ docker });
  let published: Awaited<ReturnType<typeof publishedServer>> | undefined;
  let host: Awaited<ReturnType<typeof hostServer>> | undefined;
  try {
    await runner.start();
    const server = await runner.spawn(echoServerCommand(SERVER_PORT));
    await new Promise((resolve) => server.stdout.once('data', resolve));
    const forward = await runner.forwardPort(SERVER_PORT);
    published = await publishedServer(docker);
    host = await hostServer();
    const paths: Path[] = [
      { name: 'forwardPort', port: forward.port },
      { name: 'published port', port: published.port },
      { name: 'host', port: host.port },
    ];
    const latency = await benchLatency(paths, requests);
    const throughput = await benchThroughput(paths, docker.getContainer(runner.id as string), bytes, rounds);
    printLatency(latency);
    console.log();
    printThroughput(throughput, throughput[1] as ThroughputResult);
    await mkdir(new URL('.', RESULTS_FILE), { recursive: true });
    await writeFile(RESULTS_FILE, `${JSON.stringify({ ...(await benchEnvironment(docker)), requests, bytes, rounds, latency, throughput }, null, 2)}\n`);
  } finally {
    host?.child.kill();
    await published?.container.remove({ force: true }).catch(() => {});
    await runner.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
