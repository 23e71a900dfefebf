/**
 * `runner.snapshot()`: checks the options, captures the sandbox (capture.ts), makes the image
 * (snapshot-image.ts) and says what it carries and what not.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import createDebug from 'debug';
import type Dockerode from 'dockerode';
import { InvalidArgumentError, SandboxBusyError } from '../../errors.js';
import { checkBoolean, checkOptionsObject, checkStringRecord } from '../../option-checks.js';
import type { Session } from '../../session/session.js';
import type { ResolvedSandbox } from '../sandbox-options.js';
import { archivePlan, capture } from './capture.js';
import { buildSnapshotImage, createHelper, removeHelper } from './snapshot-image.js';
import { LABEL_SNAPSHOT, SNAPSHOT_LABELS, SNAPSHOT_REPOSITORY, Snapshot, encodeOptions, removeSnapshotImage } from './snapshot.js';

/** `DEBUG=docker-shell:snapshot`: each snapshot's steps and what they took. */
const log = createDebug('docker-shell:snapshot');

/**
 * Options of `runner.snapshot()`.
 *
 * @example
 * ```ts
 * const options: SnapshotOptions = { name: 'deps-installed', labels: { job: '42' }, wait: false };
 * const snapshot = await runner.snapshot(options);
 * ```
 */
export interface SnapshotOptions {
  /**
   * The snapshot's name: the image is tagged `docker-shell/snapshot:<name>`, and `DockerRunner.start({ snapshot: name })`
   * finds it. Letters, digits, `_`, `.`, `-` (not first), up to 128. A name already taken moves to
   * the new snapshot (the older one keeps its id). Default: a generated one.
   */
  name?: string;
  /** Labels of the snapshot image, for `listSnapshots({ labels })`. Default: none. */
  labels?: Record<string, string>;
  /**
   * Wait for the command running and those queued in the session, then snapshot (true, default);
   * with false, a session that is not idle refuses at once with `SandboxBusyError`.
   */
  wait?: boolean;
}

export const SNAPSHOT_OPTION_NAMES = ['name', 'labels', 'wait'] as const;

const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Checks `snapshot()` options (also `fork()`'s, which share them). */
export function checkSnapshotOptions(options: SnapshotOptions, known: readonly string[] = SNAPSHOT_OPTION_NAMES, owner = 'snapshot()'): void {
  checkOptionsObject(options, known, owner);
  if (options.name !== undefined && !(typeof options.name === 'string' && NAME_PATTERN.test(options.name))) {
    throw new InvalidArgumentError('name', 'letters, digits, _, . or - (not first), at most 128 characters', options.name);
  }
  checkStringRecord(options.labels, 'labels');
  checkBoolean(options.wait, 'wait');
}

/** What the runner gives a snapshot: its sandbox as it runs, and what a child needs to start like it. */
export interface SnapshotSource {
  docker: Dockerode;
  container: Dockerode.Container;
  session: Session;
  sandbox: ResolvedSandbox;
  /** The runner's options a child starts with (no connection, no snapshot). */
  runnerOptions: Record<string, unknown>;
  /** The runner's own labels (ours, owner): the helper container carries them for `prune()`. */
  containerLabels: Record<string, string>;
}

/** Takes the snapshot; `temporary` marks a fork's image (removed by its last child, or by `prune()`). */
export async function takeSnapshot(source: SnapshotSource, options: SnapshotOptions, temporary = false): Promise<Snapshot> {
  const { docker, session, container } = source;
  if (options.wait === false && session.busyCount > 0) throw new SandboxBusyError(temporary ? 'fork' : 'snapshot', session.busyCount);
  const startedAt = performance.now();
  const suffix = randomBytes(6).toString('hex');
  const archiveFile = join(tmpdir(), `docker-shell-snapshot-${suffix}.tar`);
  // With a read-only root the image's base is the sandbox's own: its helper is made meanwhile.
  let helper = source.sandbox.readOnly
    ? createHelper(
        docker,
        container.inspect().then((info) => info.Image),
        source.containerLabels,
      )
    : undefined;
  helper?.catch(() => {});
  try {
    const captured = await capture({ ...source, archiveFile });
    const t0 = performance.now();
    const createdAt = new Date();
    const tag = options.name ?? `${temporary ? 'fork' : 'snapshot'}-${suffix}`;
    const processes = captured.processes.slice(0, 100).map(({ pid, command }) => ({ pid, command: command.slice(0, 200) }));
    const labels: Record<string, string> = {
      ...options.labels,
      [LABEL_SNAPSHOT]: 'true',
      [SNAPSHOT_LABELS.name]: options.name ?? '',
      [SNAPSHOT_LABELS.createdAt]: createdAt.toISOString(),
      [SNAPSHOT_LABELS.options]: encodeOptions(source.runnerOptions),
      [SNAPSHOT_LABELS.labels]: JSON.stringify(options.labels ?? {}),
      [SNAPSHOT_LABELS.processes]: JSON.stringify(processes),
      [SNAPSHOT_LABELS.places]: JSON.stringify(archivePlan(source.sandbox).places.map((place) => `/${place}`)),
      [SNAPSHOT_LABELS.temporary]: String(temporary),
      [SNAPSHOT_LABELS.source]: container.id,
    };
    const { layerImage } = captured;
    helper ??= createHelper(docker, Promise.resolve(layerImage as string), source.containerLabels);
    const id = await buildSnapshotImage({ docker, helper, tag, state: captured.state, archiveFile, labels }).catch(async (error: unknown) => {
      // The committed layer is untagged: once the snapshot image (its child) is made, removing that takes it along.
      if (layerImage) await removeSnapshotImage(docker, layerImage).catch(() => {});
      throw error;
    });
    const imageMs = performance.now() - t0;
    const timings = { ...captured.timings, imageMs, totalMs: performance.now() - startedAt };
    log('snapshot %s of %s: %o', id, container.id, timings);
    return new Snapshot(docker, id, [`${SNAPSHOT_REPOSITORY}:${tag}`], labels, timings);
  } finally {
    await removeHelper(helper);
    await rm(archiveFile, { force: true });
  }
}
