/**
 * What `run` and `shell` share: pulling the image with progress, starting the sandbox with a
 * spinner, and running one command with its output live.
 */
import { performance } from 'node:perf_hooks';
import type { DockerRunner } from '../docker/docker-runner.js';
import { ensureImage } from '../docker/images.js';
import { SessionClosedError } from '../errors.js';
import type { LiveOutput } from './live-output.js';
import { formatDuration, type PortSpec } from './parse.js';
import type { Progress } from './progress.js';
import type { SandboxFlags } from './sandbox-flags.js';
import type { StepEnd } from './step-report.js';

/** Pulls the image when it is missing (or always, with `--pull always`), with progress. */
export async function pullImage(runner: DockerRunner, flags: SandboxFlags, progress: Progress, signal: AbortSignal): Promise<void> {
  if (flags.pull === 'never') return; // the runner checks, and says so when it is missing
  const display = progress.pull(runner.image);
  try {
    await ensureImage(runner.docker, runner.image, { pull: flags.pull, signal, onProgress: (event) => display.onProgress(event) });
  } finally {
    display.stop();
  }
}

/** Starts the sandbox, with a spinner on a terminal, and says which container it is and how long it took. */
export async function startRunner(runner: DockerRunner, progress: Progress): Promise<void> {
  const started = performance.now();
  const task = progress.task(`starting a sandbox from ${runner.image}`);
  try {
    await runner.start();
  } catch (error) {
    task.stop();
    throw error;
  }
  task.succeed(`sandbox ${runner.id?.slice(0, 12)} started from ${runner.image} in ${formatDuration(performance.now() - started)}`);
}

/** Opens a forward for each `--port`, and says on stderr where each server is reached. */
export async function forwardPorts(runner: DockerRunner, specs: readonly PortSpec[], progress: Progress): Promise<void> {
  for (const { hostPort, containerPort } of specs) {
    const forward = await runner.forwardPort(containerPort, { hostPort });
    progress.line(`port ${containerPort} of the sandbox is at ${forward.url}`);
  }
}

/** How long connections still open when the commands are over may go on finishing. */
const FORWARD_GRACE_MS = 2000;

/**
 * Closes the `--port` forwards once the commands are over. A server that answered and exited has
 * its answer on the way to the client: it arrives, rather than the connection being reset under it.
 */
export async function drainForwards(runner: DockerRunner): Promise<void> {
  await Promise.all(runner.forwards().map((forward) => forward.close({ graceMs: FORWARD_GRACE_MS })));
}

/**
 * Runs one command; with `live`, its output goes to our stdout and stderr as it arrives. The end of
 * the session under it (`exit 3`, the shell killed, the engine lost) is an outcome, not an error.
 */
export async function runStep(runner: DockerRunner, command: string, live: LiveOutput | undefined, signal: AbortSignal): Promise<StepEnd> {
  const started = performance.now();
  try {
    if (!live) return { result: await runner.run(command, { signal }) };
    for await (const event of runner.stream(command, { signal })) {
      if (event.type === 'result') return { result: event.result };
      await live.write(event.type, event.data);
    }
    throw new Error(`the output of \`${command}\` ended without a result`);
  } catch (error) {
    if (error instanceof SessionClosedError && error.reason !== 'stopped') return { closed: error, durationMs: performance.now() - started };
    throw error;
  }
}
