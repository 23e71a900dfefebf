/**
 * `runner.fork()`: a snapshot made for the purpose, and sandboxes started from it. The image is
 * temporary: each child tries to remove it when it ends (the engine refuses, 409, while a sibling's
 * container still uses it, so the last one does), and `prune()` removes one that nothing uses once
 * the process that forked is gone.
 */
import type Dockerode from 'dockerode';
import { InvalidArgumentError } from '../../errors.js';
import { SNAPSHOT_OPTION_NAMES, checkSnapshotOptions, takeSnapshot, type SnapshotOptions, type SnapshotSource } from './take-snapshot.js';
import { SNAPSHOT_LABELS, type Snapshot } from './snapshot.js';

/**
 * Options of `runner.fork()`: those of `snapshot()` and how many children.
 *
 * @example
 * ```ts
 * const options = { count: 3, wait: false } satisfies ForkOptions;
 * const children = await runner.fork(options);
 * ```
 */
export interface ForkOptions extends SnapshotOptions {
  /** How many sandboxes to start from the snapshot, 1 to 64; with it, `fork()` resolves with an array. Default: one, not in an array. */
  count?: number;
  /**
   * A gVisor sandbox (`runtime: 'runsc'`) only: fork it live, processes and memory included, from a
   * checkpoint (see `hibernate()`) instead of a snapshot of its files and shell state. The sandbox
   * stops while the checkpoint is taken, then goes on; needs a read-only root (the default) and
   * the engine's own directory (as root on its host, or through a helper container). Default: false.
   */
  live?: boolean;
}

const FORK_OPTION_NAMES = [...SNAPSHOT_OPTION_NAMES, 'count', 'live'];

/** Checks `fork()` options. */
export function checkForkOptions(options: ForkOptions): void {
  checkSnapshotOptions(options, FORK_OPTION_NAMES, 'fork()');
  const { count } = options;
  if (count !== undefined && !(Number.isInteger(count) && count >= 1 && count <= 64)) {
    throw new InvalidArgumentError('count', 'a whole number from 1 to 64', count);
  }
  if (options.live !== undefined && typeof options.live !== 'boolean') throw new InvalidArgumentError('live', 'a boolean', options.live);
}

/** What a fork's child needs of a runner: to be stopped when a sibling failed to start. */
interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Snapshots the source and starts `count` children from it, at once. If one fails to start, the
 * others are stopped, the image removed, and the first failure thrown.
 */
export async function forkSandbox<T extends Stoppable>(source: SnapshotSource, options: ForkOptions, start: (snapshot: Snapshot) => Promise<T>): Promise<T[]> {
  const snapshot = await takeSnapshot(source, { name: options.name, labels: options.labels, wait: options.wait }, true);
  const starts = Array.from({ length: options.count ?? 1 }, () => start(snapshot));
  const settled = await Promise.allSettled(starts);
  const failed = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  const children = settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  if (!failed) return children;
  await Promise.allSettled(children.map((child) => child.stop()));
  await releaseForkImage(source.docker, snapshot.id);
  throw failed.reason;
}

/** A child's last act: removes its fork's image unless a sibling still uses it (then that sibling will). */
export async function releaseForkImage(docker: Dockerode, id: string): Promise<void> {
  await docker
    .getImage(id)
    .remove()
    .catch(() => {});
}

/**
 * A runner's last act: releases its image if that is a fork's. Known from the start for a child
 * started here; a child connected to after `detach()` runs the snapshot's id as its image, whose
 * labels say whether it is a fork's.
 */
export async function releaseIfForkImage(docker: Dockerode, image: string, started: Snapshot | undefined): Promise<void> {
  if (started) {
    if (started.isTemporary) await releaseForkImage(docker, started.id);
    return;
  }
  if (!image.startsWith('sha256:')) return;
  const info = await docker
    .getImage(image)
    .inspect()
    .catch(() => undefined);
  if (info?.Config.Labels?.[SNAPSHOT_LABELS.temporary] === 'true') await releaseForkImage(docker, image);
}
