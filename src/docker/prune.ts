/**
 * prune(): removes the containers docker-shell left behind, i.e. labelled containers whose owner
 * process is gone (crashed, SIGKILLed, or exited without `stop()` before the reaper could act),
 * or with `dryRun` lists them with why, removing nothing.
 */
import { hostname } from 'node:os';
import type Dockerode from 'dockerode';
import { checkBoolean, checkOptionsObject, checkSignal, checkStringRecord } from '../option-checks.js';
import { dockerError, resolveDocker, statusOf, type DockerConnection } from './docker-client.js';
import { LABEL_EXPIRES_AT, LABEL_MANAGED, LABEL_OWNER } from './labels.js';
import { listLeases, removeLeases, type Lease } from './detach/lease.js';
import { isProcessAlive, parseOwner } from './owner.js';
import { pruneForkImages } from './snapshots/list-snapshots.js';

/** Options of `prune()`. */
export interface PruneOptions {
  /** A dockerode instance or its connection options. Default: DOCKER_HOST, else the local socket. */
  docker?: DockerConnection;
  /**
   * Remove every labelled container, whatever its owner: those of other hosts, those whose owner
   * label is unreadable, and those of live processes, this one included (their runners break).
   * Default: `false`.
   */
  all?: boolean;
  /**
   * Only consider containers that also carry all of these labels (e.g. the extra `labels` given to
   * a DockerRunner). Default: every container labelled `dev.docker-shell.managed=true`.
   */
  labels?: Record<string, string>;
  /**
   * Stops the pruning: the listing is aborted, and no removal starts once it fires. The promise
   * then rejects with `signal.reason`; containers removed before that stay removed. Default: none.
   */
  signal?: AbortSignal;
  /**
   * List what would be removed, and why, without removing anything: the result is the same, with
   * `removed` empty and every container still in place. Default: `false`.
   */
  dryRun?: boolean;
}

/** Why `prune()` left a labelled container alone. */
export type KeepReason =
  /** The owner process on this host is alive (maybe this very process). */
  | 'owner-alive'
  /** The owner is on another host: whether it is alive cannot be checked from here. */
  | 'other-host'
  /** The owner label is missing or not `<hostname>:<pid>`. */
  | 'unknown-owner'
  /** It was detached (`runner.detach()`) and has not expired: `expiresAt` says until when it waits. */
  | 'detached'
  /** It is hibernated (`runner.hibernate()`): stopped on purpose, to be woken by `DockerRunner.connect()`. */
  | 'hibernated';

/** Why `prune()` removes a container (or, with `dryRun`, would remove it). */
export type RemoveReason =
  /** Its owner process, on this host, no longer exists. */
  | 'owner-gone'
  /** `all: true` was given; `keepReason` says what would have kept it without. */
  | 'all'
  /**
   * Its time was up: a detached sandbox that ended itself after its idle timeout (or is still there
   * well past it), or a sandbox past its `lifetimeMs`.
   */
  | 'expired';

/** A labelled container as `prune()` found it. */
export interface PruneCandidate {
  /** The container's full id. */
  id: string;
  /** The image it was created from, as the engine lists it (a name, or an id once the name is gone). */
  image: string;
  /** Its state when listed: `running`, `exited`, `created`, ... */
  state: string;
  /** Who holds it, `<hostname>:<pid>`: the process that connected to it, else its owner label; undefined when unknown. */
  owner: string | undefined;
  /** When it expires (ms since the epoch): a detached sandbox's idle limit, or its lifetime; undefined for never. */
  expiresAt: number | undefined;
}

/** A labelled container that `prune()` kept. */
export interface KeptContainer extends PruneCandidate {
  /** Why it was kept. */
  reason: KeepReason;
}

/** A leftover: a container that `prune()` removed, or with `dryRun` would remove. */
export interface LeftoverContainer extends PruneCandidate {
  /** Why it is (or would be) removed. */
  reason: RemoveReason;
  /** With `reason: 'all'`, what would have kept it without `all`; undefined otherwise. */
  keepReason: KeepReason | undefined;
}

/** What `prune()` did, or with `dryRun` would do. */
export interface PruneResult {
  /** True for a dry run (`dryRun: true`): nothing was removed, and `leftovers` is what would have been. */
  dryRun: boolean;
  /** Ids of the containers removed (including any that vanished on their own meanwhile); empty with `dryRun`. */
  removed: string[];
  /** The containers chosen for removal, each with why: removed, or with `dryRun` left in place. */
  leftovers: LeftoverContainer[];
  /** The labelled containers left in place, each with why. */
  kept: KeptContainer[];
  /**
   * Ids of fork images removed (with `dryRun`, to be removed): temporary snapshot images of `fork()`
   * that no container uses, made by a process of this host that is gone (any, with `all`).
   */
  snapshotImages: string[];
}

/**
 * Removes docker-shell's leftover containers: by default, those whose owner label names this host
 * and a pid that no longer exists. Containers of live processes (this one included) and of other
 * hosts are kept, and listed with why; `all: true` removes them too. Removal is forced (a running
 * container is killed) and takes its anonymous volumes along.
 *
 * A pid that was reused by an unrelated process since the owner died looks alive: such a
 * container is kept until that process is gone too (never a wrong removal, at worst a late one).
 *
 * With `dryRun: true`, it lists the same containers with the same reasons and removes none, so
 * what a real run would remove can be checked first.
 *
 * @example
 * import { prune } from 'docker-shell';
 *
 * const plan = await prune({ dryRun: true, labels: { team: 'ci' } });
 * for (const { id, image, state, reason } of plan.leftovers) console.log(id.slice(0, 12), image, state, reason);
 * const { removed, kept } = await prune({ labels: { team: 'ci' } });
 * console.log(`removed ${removed.length}, kept ${kept.length}`);
 * for (const { id, owner, reason } of kept) console.log(id.slice(0, 12), owner, reason);
 *
 * @throws DockerUnavailableError when no engine answers; DockerApiError when it refuses the listing
 *   or a removal (a container already gone, or already being removed, is not an error).
 */
export async function prune(options: PruneOptions = {}): Promise<PruneResult> {
  // `all` removes the containers of running programs: a truthy string must not be read as yes.
  checkOptionsObject(options, ['docker', 'all', 'labels', 'signal', 'dryRun'], 'prune()');
  checkBoolean(options.all, 'all');
  checkBoolean(options.dryRun, 'dryRun');
  checkStringRecord(options.labels, 'labels');
  checkSignal(options.signal);
  const docker = resolveDocker(options.docker);
  const { signal } = options;
  const dryRun = options.dryRun === true;
  signal?.throwIfAborted();
  const [containers, leases] = await Promise.all([listLabelled(docker, options.labels ?? {}, signal), listAllLeases(docker, signal)]);
  const result: PruneResult = { dryRun, removed: [], leftovers: [], kept: [], snapshotImages: [] };
  const host = hostname();
  const now = Date.now();
  for (const container of containers) {
    const lease = leases.get(container.Id);
    const candidate: PruneCandidate = {
      id: container.Id,
      image: container.Image,
      state: container.State,
      owner: lease?.state === 'held' ? lease.owner : container.Labels?.[LABEL_OWNER],
      expiresAt: expiryOf(container, lease),
    };
    const expired = candidate.expiresAt !== undefined && isExpired(candidate, lease, now);
    const keepReason = expired ? undefined : keepReasonOf(candidate, lease, host);
    if (keepReason && !options.all) {
      result.kept.push({ ...candidate, reason: keepReason });
      continue;
    }
    result.leftovers.push({ ...candidate, reason: keepReason ? 'all' : expired ? 'expired' : 'owner-gone', keepReason });
    if (dryRun) continue;
    signal?.throwIfAborted();
    await removeContainer(docker, container.Id);
    if (lease) await removeLeases(docker, container.Id);
    result.removed.push(container.Id);
  }
  // Leases whose container went some other way (`docker rm`) mean nothing any more.
  if (!dryRun && !options.labels) {
    const ids = new Set(containers.map((container) => container.Id));
    for (const id of leases.keys()) if (!ids.has(id) && !(await containerExists(docker, id))) await removeLeases(docker, id);
  }
  // After the containers: a fork image is in use until its children's containers are gone.
  signal?.throwIfAborted();
  result.snapshotImages = await pruneForkImages(docker, { labels: options.labels, all: options.all, dryRun });
  return result;
}

/**
 * A detached sandbox ends itself when its idle limit is up; one still running a minute after it (its
 * shell was made to ignore the limit, from inside) is removed from outside. A paused one is frozen
 * with its clock: only its lifetime counts.
 */
const EXPIRY_GRACE_MS = 60_000;

function expiryOf(container: Dockerode.ContainerInfo, lease: Lease | undefined): number | undefined {
  const lifetime = container.Labels?.[LABEL_EXPIRES_AT];
  const ends = [lifetime === undefined ? undefined : Number(lifetime), lease?.state === 'detached' ? lease.expiresAt : undefined].filter(
    (at): at is number => at !== undefined && Number.isFinite(at),
  );
  return ends.length > 0 ? Math.min(...ends) : undefined;
}

function isExpired(candidate: PruneCandidate, lease: Lease | undefined, now: number): boolean {
  const lifetime = Number(candidate.expiresAt);
  if (lease?.state === 'detached') {
    if (candidate.state === 'exited' || candidate.state === 'dead') return true;
    if (candidate.state === 'paused') return false;
    return now > lifetime + EXPIRY_GRACE_MS;
  }
  return now > lifetime + EXPIRY_GRACE_MS;
}

/** Why a container must be kept; undefined when its holder is gone. */
function keepReasonOf(candidate: PruneCandidate, lease: Lease | undefined, host: string): KeepReason | undefined {
  if (lease?.state === 'detached' || lease?.state === 'hibernated') return lease.state;
  const parsed = parseOwner(candidate.owner);
  if (!parsed) return 'unknown-owner';
  if (parsed.hostname !== host) return 'other-host';
  return isProcessAlive(parsed.pid) ? 'owner-alive' : undefined;
}

async function listLabelled(docker: Dockerode, labels: Record<string, string>, signal: AbortSignal | undefined): Promise<Dockerode.ContainerInfo[]> {
  const label = [`${LABEL_MANAGED}=true`, ...Object.entries(labels).map(([key, value]) => `${key}=${value}`)];
  try {
    return await docker.listContainers({ all: true, filters: { label }, abortSignal: signal });
  } catch (error) {
    // An aborted request fails with a socket error; the caller asked for the abort, so say that.
    signal?.throwIfAborted();
    throw dockerError(docker, 'list docker-shell containers', error);
  }
}

async function listAllLeases(docker: Dockerode, signal: AbortSignal | undefined): Promise<Map<string, Lease>> {
  try {
    return await listLeases(docker);
  } catch (error) {
    signal?.throwIfAborted();
    throw dockerError(docker, 'list docker-shell leases', error);
  }
}

async function containerExists(docker: Dockerode, id: string): Promise<boolean> {
  try {
    await docker.getContainer(id).inspect();
    return true;
  } catch (error) {
    if (statusOf(error) === 404) return false;
    throw dockerError(docker, `inspect container ${id}`, error);
  }
}

async function removeContainer(docker: Dockerode, id: string): Promise<void> {
  try {
    await docker.getContainer(id).remove({ force: true, v: true });
  } catch (error) {
    // 404: already gone (its runner or a reaper got there first); 409: a removal is already under way.
    const status = statusOf(error);
    if (status !== 404 && status !== 409) throw dockerError(docker, `remove container ${id}`, error);
  }
}
