/** listSandboxes(): docker-shell's sandboxes on an engine, with who holds them and until when. */
import type Dockerode from 'dockerode';
import { checkOptionsObject, checkStringRecord } from '../../option-checks.js';
import { dockerError, resolveDocker, type DockerConnection } from '../docker-client.js';
import { LABEL_EXPIRES_AT, LABEL_MANAGED, LABEL_OWNER } from '../labels.js';
import { parseOwner } from '../owner.js';
import { listLeases, type Lease } from './lease.js';

/** Options of `listSandboxes()`. */
export interface ListSandboxesOptions {
  /** A dockerode instance or its connection options. Default: DOCKER_HOST, else the local socket. */
  docker?: DockerConnection;
  /** Only sandboxes that carry all of these labels (e.g. the `labels` given to their runner). Default: all. */
  labels?: Record<string, string>;
}

/** Who has a sandbox. */
export type SandboxHolder =
  /** A process holds it (`owner` says which): the one that started it, or one that connected. */
  | 'owned'
  /** Handed over to nobody (`detach()`): any process may connect. */
  | 'detached'
  /** Checkpointed to disk (`hibernate()`): connecting wakes it. */
  | 'hibernated'
  /** Its shell has ended (it expired, exited or was killed): only `prune()` has anything left to do. */
  | 'ended';

/** A docker-shell sandbox, as `listSandboxes()` finds it. */
export interface SandboxInfo {
  /** The container id: what `DockerRunner.connect()` takes. */
  id: string;
  /** The image it runs. */
  image: string;
  /** When it was created. */
  createdAt: Date;
  /** Who has it. */
  holder: SandboxHolder;
  /** The process holding it, `<hostname>:<pid>` (with `owned`). */
  owner: string | undefined;
  /** That process's pid, when the owner label is readable. */
  ownerPid: number | undefined;
  /** Frozen by `pause()`. */
  paused: boolean;
  /** The engine's state of the container: `running`, `paused`, `exited`, ... */
  state: string;
  /** How long it has waited for a connection (detached or hibernated), in ms; undefined while owned. */
  idleForMs: number | undefined;
  /** When it ends by itself: a detached sandbox's idle limit, or its lifetime, whichever is first; undefined for never. */
  expiresAt: Date | undefined;
  /** The labels given to its runner (docker-shell's own left out). */
  labels: Record<string, string>;
}

/**
 * Lists docker-shell's sandboxes on the engine, newest first: who holds each (a process, nobody
 * because it is detached, or nobody because it ended), since when it is idle and when it expires.
 * @example
 * import { listSandboxes } from 'docker-shell';
 *
 * for (const sandbox of await listSandboxes()) console.log(sandbox.id.slice(0, 12), sandbox.holder, sandbox.expiresAt);
 */
export async function listSandboxes(options: ListSandboxesOptions = {}): Promise<SandboxInfo[]> {
  checkOptionsObject(options, ['docker', 'labels'], 'listSandboxes()');
  checkStringRecord(options.labels, 'labels');
  const docker = resolveDocker(options.docker);
  const label = [`${LABEL_MANAGED}=true`, ...Object.entries(options.labels ?? {}).map(([key, value]) => `${key}=${value}`)];
  let containers: Dockerode.ContainerInfo[];
  let leases: Map<string, Lease>;
  try {
    [containers, leases] = await Promise.all([docker.listContainers({ all: true, filters: { label } }), listLeases(docker)]);
  } catch (error) {
    throw dockerError(docker, 'list docker-shell sandboxes', error);
  }
  const now = Date.now();
  return containers.map((container) => describe(container, leases.get(container.Id), now)).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
}

function describe(container: Dockerode.ContainerInfo, lease: Lease | undefined, now: number): SandboxInfo {
  const labels = container.Labels ?? {};
  const live = container.State === 'running' || container.State === 'paused';
  const holder: SandboxHolder = lease?.state === 'hibernated' ? 'hibernated' : !live ? 'ended' : lease?.state === 'detached' ? 'detached' : 'owned';
  const owner = holder === 'owned' ? (lease?.state === 'held' ? lease.owner : labels[LABEL_OWNER]) : undefined;
  const lifetime = labels[LABEL_EXPIRES_AT] === undefined ? undefined : Number(labels[LABEL_EXPIRES_AT]);
  const idle = holder === 'detached' ? lease?.expiresAt : undefined;
  const ends = [lifetime, idle].filter((at): at is number => at !== undefined && Number.isFinite(at));
  return {
    id: container.Id,
    image: container.Image,
    createdAt: new Date(container.Created * 1000),
    holder,
    owner,
    ownerPid: parseOwner(owner)?.pid,
    paused: container.State === 'paused',
    state: container.State,
    idleForMs: (holder === 'detached' || holder === 'hibernated') && lease ? now - lease.since : undefined,
    expiresAt: ends.length > 0 ? new Date(Math.min(...ends)) : undefined,
    labels: Object.fromEntries(Object.entries(labels).filter(([key]) => !key.startsWith('dev.docker-shell.'))),
  };
}
