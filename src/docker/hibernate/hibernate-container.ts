/**
 * Hibernate: a running gVisor sandbox is saved into the engine's own checkpoint store and stopped,
 * so it holds no memory and no CPU until `wakeContainer` restores it, processes and all.
 */
import { performance } from 'node:perf_hooks';
import createDebug from 'debug';
import type Dockerode from 'dockerode';
import { CheckpointFailedError, InvalidArgumentError } from '../../errors.js';
import { dockerError } from '../docker-client.js';
import { CHECKPOINT_NAME, checkGvisor, checkpointError, createCheckpoint, engineMessage } from './checkpoint-engine.js';
import { clearStaleState } from './runsc-state.js';

/** `DEBUG=docker-shell:hibernate`: checkpoints taken and restored, and runsc's state cleared. */
const log = createDebug('docker-shell:hibernate');

/** Options of `hibernateContainer()`. */
export interface HibernateOptions {
  /** The checkpoint's name. Default: `ds-hibernate-<epoch ms>`. */
  name?: string;
  /** Aborts the engine calls (a checkpoint the engine has begun may still complete). */
  signal?: AbortSignal;
}

/** What `hibernateContainer()` did. */
export interface HibernateResult {
  /** The checkpoint's name in the engine's store, for `wakeContainer()`. */
  checkpointName: string;
  /** How long the checkpoint took, until the container had stopped. */
  durationMs: number;
  /** The container's memory as `docker stats` shows it (usage less inactive file cache) just before. */
  memoryBytesBefore: number | undefined;
  /** The container's runtime (gVisor's, `runsc` unless registered under another name). */
  runtime: string;
}

/**
 * Checkpoints a running gVisor container into the engine's checkpoint store and stops it.
 * @throws HibernateUnsupportedError (not gVisor, or the engine's experimental features off),
 *   CheckpointFailedError (the engine's message: e.g. the container is not running), DockerApiError
 */
export async function hibernateContainer(docker: Dockerode, container: Dockerode.Container, options: HibernateOptions = {}): Promise<HibernateResult> {
  const name = options.name ?? `ds-hibernate-${Date.now()}`;
  if (typeof name !== 'string' || !CHECKPOINT_NAME.test(name))
    throw new InvalidArgumentError('name', 'a checkpoint name: a letter or digit, then letters, digits, _ . or -', name);
  const { signal } = options;
  const info = await container.inspect({ abortSignal: signal }).catch((error: unknown) => {
    throw dockerError(docker, `inspect the container ${container.id}`, error);
  });
  const runtime = await checkGvisor(docker, info);
  if (!info.State.Running || info.State.Paused) {
    const state = info.State.Paused ? 'paused' : info.State.Status;
    throw new CheckpointFailedError('checkpoint', info.Id, name, `the container is ${state}, not running`);
  }
  const memoryBytesBefore = await memoryUsage(container, signal);
  const startedAt = performance.now();
  await createCheckpoint(container, name, signal).catch((error: unknown) => {
    throw checkpointError(docker, 'checkpoint', info.Id, name, error);
  });
  // The engine answers once the checkpoint is saved; the container's exit reaches its state a
  // moment later, and a wake before that would find it still running.
  await stopped(container, STOP_TIMEOUT_MS).catch((error: unknown) => {
    throw new CheckpointFailedError('checkpoint', info.Id, name, `the checkpoint was saved but the container did not stop (${engineMessage(error)})`, {
      cause: error,
    });
  });
  const durationMs = performance.now() - startedAt;
  // A sandbox that was itself restored leaves runsc's state behind (see runsc-state.ts); the wake
  // clears it too (through a helper container if need be), if this could not.
  await clearStaleState(docker, info.Id, { image: info.Image, useHelper: false }).catch((error: unknown) =>
    log('could not clear runsc state of %s: %s', info.Id, (error as Error).message),
  );
  return { checkpointName: name, durationMs, memoryBytesBefore, runtime };
}

/** How long the container may take to stop once its checkpoint is saved. */
const STOP_TIMEOUT_MS = 10_000;

/** Resolves once the container is not running (at once if it is not). */
async function stopped(container: Dockerode.Container, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([container.wait({ condition: 'not-running' }), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

interface MemoryStats {
  usage?: number;
  stats?: { inactive_file?: number; total_inactive_file?: number };
}

/** Memory in use as `docker stats` counts it; undefined when the engine does not say. */
export async function memoryUsage(container: Dockerode.Container, signal?: AbortSignal): Promise<number | undefined> {
  // dockerode's typings lack `one-shot`, which spares the engine's wait for a second sample.
  const options = { stream: false, 'one-shot': true, abortSignal: signal } as unknown as { stream: false };
  const stats = (await container.stats(options).catch(() => undefined)) as { memory_stats?: MemoryStats } | undefined;
  const memory = stats?.memory_stats;
  if (memory?.usage === undefined) return undefined;
  const inactive = memory.stats?.inactive_file ?? memory.stats?.total_inactive_file ?? 0;
  return memory.usage - inactive;
}
