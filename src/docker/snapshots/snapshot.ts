/**
 * A snapshot as the engine keeps it: an image labelled as docker-shell's snapshot, whose labels say
 * what it carries (and what not) and the options of the runner it was taken from.
 */
import type Dockerode from 'dockerode';
import { SnapshotNotFoundError } from '../../errors.js';
import { dockerError, statusOf } from '../docker-client.js';

/**
 * The repository snapshot images are tagged in: `docker-shell/snapshot:<name>`.
 *
 * @example
 * ```ts
 * const snapshot = await runner.snapshot({ name: 'base' });
 * console.log(snapshot.ref === `${SNAPSHOT_REPOSITORY}:base`); // true
 * ```
 */
export const SNAPSHOT_REPOSITORY = 'docker-shell/snapshot';

/**
 * `dev.docker-shell.snapshot`, set to `true` on every image `runner.snapshot()` makes: what
 * `listSnapshots()` looks for.
 *
 * @example
 * ```ts
 * const images = await docker.listImages({ filters: { label: [`${LABEL_SNAPSHOT}=true`] } });
 * ```
 */
export const LABEL_SNAPSHOT = 'dev.docker-shell.snapshot';

/** The other labels of a snapshot image (internal: read them through `Snapshot`). */
export const SNAPSHOT_LABELS = {
  name: 'dev.docker-shell.snapshot.name',
  createdAt: 'dev.docker-shell.snapshot.created-at',
  /** JSON: the runner options the child starts with (those a start option does not override). */
  options: 'dev.docker-shell.snapshot.options',
  /** JSON: the caller's own labels, told apart from the image's. */
  labels: 'dev.docker-shell.snapshot.labels',
  /** JSON: the background processes that were running and are not carried. */
  processes: 'dev.docker-shell.snapshot.processes',
  /** JSON: the places whose files the snapshot carries in its archive. */
  places: 'dev.docker-shell.snapshot.places',
  /** `true` on a fork's image: removed by its last child, or by `prune()` once no container uses it. */
  temporary: 'dev.docker-shell.snapshot.temporary',
  /** The container the snapshot was taken of. */
  source: 'dev.docker-shell.snapshot.source',
} as const;

/**
 * A background process that was running when the snapshot was taken: a snapshot carries files and
 * the shell's state, not processes, so it does not run in a sandbox started from it.
 */
export interface SnapshotProcess {
  /** Its pid in the sandbox it ran in. */
  pid: number;
  /** Its command line, arguments joined by spaces (empty for a zombie). */
  command: string;
}

/** What each step of `runner.snapshot()` took, in ms (only on the snapshot it returned). */
export interface SnapshotTimings {
  /** Waiting for the queue and printing the shell's state. */
  stateMs: number;
  /** Stopping every process of the sandbox. */
  freezeMs: number;
  /** Archiving the tmpfs places to the host. */
  archiveMs: number;
  /** Committing the writable layer (0 with a read-only root). */
  commitMs: number;
  /** How long the sandbox's processes stayed stopped. */
  frozenMs: number;
  /** Making the image (helper container, files in, commit). */
  imageMs: number;
  /** All of it. */
  totalMs: number;
}

/**
 * A snapshot of a sandbox: an image of its filesystem (every writable place, the tmpfs mounts
 * included) with the session's shell state (cwd, exported and plain variables, functions, aliases,
 * shell options, umask, directory stack). `DockerRunner.start({ snapshot })` starts a sandbox from
 * it, with the options of the runner it was taken from. It stays on the engine until `remove()`.
 *
 * @example
 * ```ts
 * const snapshot = await runner.snapshot({ name: 'after-setup' });
 * console.log(snapshot.ref, snapshot.processes.length); // docker-shell/snapshot:after-setup 0
 * await using child = await DockerRunner.start({ snapshot });
 * await snapshot.remove(); // once no sandbox runs from it
 * ```
 */
export class Snapshot {
  /** The image id, `sha256:...`. */
  readonly id: string;
  /** The image's name, `docker-shell/snapshot:<name>` (a generated name when none was given); undefined once the name moved to a newer snapshot. */
  readonly ref: string | undefined;
  /** The name given to `snapshot({ name })`; undefined when none was. */
  readonly name: string | undefined;
  /** When it was taken. */
  readonly createdAt: Date;
  /** The labels given to `snapshot({ labels })`. */
  readonly labels: Readonly<Record<string, string>>;
  /** True for the image a `fork()` made for its children: removed by the last of them, or by `prune()`. */
  readonly isTemporary: boolean;
  /** The writable places whose files it carries in its archive (tmpfs mounts); a writable root is carried as the image's layer. */
  readonly places: readonly string[];
  /** Background processes that were running and are NOT carried: a sandbox started from it runs none of them. */
  readonly processes: readonly SnapshotProcess[];
  /** Bind mounts (`mounts`) of the sandbox: host directories, not copied; a sandbox started from it mounts the same ones, shared. */
  readonly mounts: readonly string[];
  /** The id of the container it was taken of. */
  readonly sourceContainer: string;
  /** What each step took, on the snapshot `runner.snapshot()` returned; undefined on one found later. */
  readonly timings: Readonly<SnapshotTimings> | undefined;
  /** @internal The runner options a sandbox started from it gets (explicit start options win). */
  readonly runnerOptions: Readonly<Record<string, unknown>>;
  readonly #docker: Dockerode;

  /** @internal Made by `runner.snapshot()`, `listSnapshots()` and `DockerRunner.start({ snapshot })`. */
  constructor(docker: Dockerode, id: string, tags: readonly string[], labels: Readonly<Record<string, string>>, timings?: SnapshotTimings) {
    this.#docker = docker;
    this.timings = timings && Object.freeze({ ...timings });
    this.id = id;
    this.ref = tags.find((tag) => tag.startsWith(`${SNAPSHOT_REPOSITORY}:`)) ?? tags[0];
    this.name = labels[SNAPSHOT_LABELS.name] || undefined;
    this.createdAt = new Date(labels[SNAPSHOT_LABELS.createdAt] ?? 0);
    this.labels = Object.freeze(parseJson<Record<string, string>>(labels[SNAPSHOT_LABELS.labels], {}));
    this.isTemporary = labels[SNAPSHOT_LABELS.temporary] === 'true';
    this.places = Object.freeze(parseJson<string[]>(labels[SNAPSHOT_LABELS.places], []));
    this.processes = Object.freeze(parseJson<SnapshotProcess[]>(labels[SNAPSHOT_LABELS.processes], []));
    this.runnerOptions = Object.freeze(decodeOptions(labels[SNAPSHOT_LABELS.options]));
    const mounts = (this.runnerOptions.mounts ?? []) as Array<{ target: string }>;
    this.mounts = Object.freeze(mounts.map((mount) => mount.target));
    this.sourceContainer = labels[SNAPSHOT_LABELS.source] ?? '';
  }

  /**
   * Removes the image. Sandboxes running from it must be stopped first: while one is, the engine
   * refuses (`DockerApiError`, status 409). Removing a snapshot already gone is not an error.
   * @example
   * const snapshot = await runner.snapshot();
   * await snapshot.remove();
   */
  async remove(): Promise<void> {
    await removeSnapshotImage(this.#docker, this.id);
  }
}

/** Removes a snapshot image by id; already gone is fine. */
export async function removeSnapshotImage(docker: Dockerode, id: string): Promise<void> {
  try {
    await docker.getImage(id).remove();
  } catch (error) {
    if (statusOf(error) === 404) return;
    throw dockerError(docker, `remove snapshot image ${id}`, error);
  }
}

/** The image named by a snapshot's id, ref, or the name given to `snapshot({ name })`. */
export function snapshotReference(idOrName: string): string {
  if (/^(sha256:)?[0-9a-f]{12,64}$/.test(idOrName) || idOrName.includes(':') || idOrName.includes('/')) return idOrName;
  return `${SNAPSHOT_REPOSITORY}:${idOrName}`;
}

/** The snapshot an id, ref or name stands for. */
export async function openSnapshot(docker: Dockerode, idOrName: string): Promise<Snapshot> {
  let info: Dockerode.ImageInspectInfo;
  try {
    info = await docker.getImage(snapshotReference(idOrName)).inspect();
  } catch (error) {
    if (statusOf(error) === 404) throw new SnapshotNotFoundError(idOrName, 'no such image', error);
    throw dockerError(docker, `inspect snapshot ${idOrName}`, error);
  }
  const labels = info.Config.Labels ?? {};
  if (labels[LABEL_SNAPSHOT] !== 'true') throw new SnapshotNotFoundError(idOrName, `the image ${info.Id} is not a docker-shell snapshot`);
  return new Snapshot(docker, info.Id, info.RepoTags ?? [], labels);
}

/** Runner options as a label: JSON, with `Infinity` (a timeout of none) kept. */
export function encodeOptions(options: Record<string, unknown>): string {
  return JSON.stringify(options, (_key, value: unknown) => (value === Infinity ? 'Infinity' : value));
}

function decodeOptions(text: string | undefined): Record<string, unknown> {
  return parseJson<Record<string, unknown>>(text, {}, (_key, value: unknown) => (value === 'Infinity' ? Infinity : value));
}

function parseJson<T>(text: string | undefined, fallback: T, reviver?: (key: string, value: unknown) => unknown): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text, reviver) as T;
  } catch {
    return fallback;
  }
}
