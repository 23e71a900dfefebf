/**
 * The snapshots on an engine: listing, removing by id or name, and the prune of fork images that
 * were left behind.
 */
import { hostname } from 'node:os';
import type Dockerode from 'dockerode';
import { checkBoolean, checkOptionsObject, checkString, checkStringRecord } from '../../option-checks.js';
import { dockerError, resolveDocker, statusOf, type DockerConnection } from '../docker-client.js';
import { LABEL_OWNER } from '../labels.js';
import { isProcessAlive, parseOwner } from '../owner.js';
import { LABEL_SNAPSHOT, SNAPSHOT_LABELS, Snapshot, openSnapshot } from './snapshot.js';

/**
 * Options of `listSnapshots()`.
 *
 * @example
 * ```ts
 * const options: ListSnapshotsOptions = { labels: { job: '42' } };
 * const snapshots = await listSnapshots(options);
 * ```
 */
export interface ListSnapshotsOptions {
  /** A dockerode instance or its connection options. Default: DOCKER_HOST, else the local socket. */
  docker?: DockerConnection;
  /** Only snapshots whose image carries all of these labels (e.g. those given to `snapshot({ labels })`). Default: all. */
  labels?: Record<string, string>;
}

/**
 * The docker-shell snapshots on the engine, newest first: those `runner.snapshot()` made, and the
 * images of forks whose children still run (`isTemporary`).
 * @throws DockerUnavailableError, DockerApiError
 * @example
 * ```ts
 * for (const snapshot of await listSnapshots()) console.log(snapshot.ref, snapshot.createdAt.toISOString(), snapshot.labels);
 * ```
 */
export async function listSnapshots(options: ListSnapshotsOptions = {}): Promise<Snapshot[]> {
  checkOptionsObject(options, ['docker', 'labels'], 'listSnapshots()');
  checkStringRecord(options.labels, 'labels');
  const docker = resolveDocker(options.docker);
  const images = await listSnapshotImages(docker, options.labels ?? {});
  const snapshots = images.map(
    (image) =>
      new Snapshot(
        docker,
        image.Id,
        (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>'),
        image.Labels ?? {},
      ),
  );
  return snapshots.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
}

/**
 * Removes the snapshot with this id, ref (`docker-shell/snapshot:<name>`) or name.
 * @throws SnapshotNotFoundError when there is none; DockerApiError (409) while a sandbox runs from it.
 * @example await removeSnapshot('after-setup');
 */
export async function removeSnapshot(idOrName: string, options: { docker?: DockerConnection } = {}): Promise<void> {
  checkString(idOrName, 'idOrName', 'a snapshot id or name', true);
  checkOptionsObject(options, ['docker'], 'removeSnapshot()');
  const docker = resolveDocker(options.docker);
  await (await openSnapshot(docker, idOrName)).remove();
}

async function listSnapshotImages(docker: Dockerode, labels: Record<string, string>, extra: string[] = []): Promise<Dockerode.ImageInfo[]> {
  const label = [`${LABEL_SNAPSHOT}=true`, ...extra, ...Object.entries(labels).map(([key, value]) => `${key}=${value}`)];
  try {
    return await docker.listImages({ filters: { label } });
  } catch (error) {
    throw dockerError(docker, 'list docker-shell snapshots', error);
  }
}

/** Options of the fork-image section of `prune()`. */
export interface PruneForkImagesOptions {
  labels?: Record<string, string>;
  /** Remove those of live processes too (as `prune({ all })` does with containers). */
  all?: boolean;
  dryRun?: boolean;
}

/**
 * Removes fork images left behind: temporary snapshot images that no container uses, made by a
 * process of this host that is gone (a live one may be starting children from its image; `all`
 * removes those too). Resolves with their ids (with `dryRun`, those it would remove).
 */
export async function pruneForkImages(docker: Dockerode, options: PruneForkImagesOptions = {}): Promise<string[]> {
  checkBoolean(options.all, 'all');
  const images = await listSnapshotImages(docker, options.labels ?? {}, [`${SNAPSHOT_LABELS.temporary}=true`]);
  if (images.length === 0) return [];
  let containers: Dockerode.ContainerInfo[];
  try {
    containers = await docker.listContainers({ all: true });
  } catch (error) {
    throw dockerError(docker, 'list containers', error);
  }
  const used = new Set(containers.map((container) => container.ImageID));
  const host = hostname();
  const removed: string[] = [];
  for (const image of images) {
    if (used.has(image.Id)) continue;
    const owner = parseOwner(image.Labels?.[LABEL_OWNER]);
    const ownerGone = owner !== undefined && owner.hostname === host && !isProcessAlive(owner.pid);
    if (!ownerGone && !options.all) continue;
    if (!options.dryRun) {
      try {
        await docker.getImage(image.Id).remove();
      } catch (error) {
        // 404: its last child removed it meanwhile; 409: a child was just created from it.
        const status = statusOf(error);
        if (status === 409) continue;
        if (status !== 404) throw dockerError(docker, `remove fork image ${image.Id}`, error);
      }
    }
    removed.push(image.Id);
  }
  return removed;
}
