/**
 * Who holds a sandbox once it can outlive the process that made it: a lease, kept by the engine
 * beside the container, that any process on the same engine can read.
 *
 * A container's labels cannot change after it is created, and a file inside the sandbox is the
 * sandbox's to forge (and unreadable while it is stopped, e.g. hibernated). So the lease is a Docker
 * volume named after the container, never mounted, whose labels say its state: one name for a
 * sandbox waiting for a process (detached, hibernated), another for one a process took over (held).
 * Taking over writes the held one first, then removes the other, so the sandbox is never seen
 * without a lease in between; creating a volume whose name exists answers with the existing one,
 * so of two processes racing to take it, the one whose labels come back has it.
 */
import type Dockerode from 'dockerode';
import { statusOf } from '../docker-client.js';
import { LABEL_MANAGED } from '../labels.js';

/** `dev.docker-shell.lease-of`: the container id a lease volume is about. */
export const LABEL_LEASE_OF = 'dev.docker-shell.lease-of';
/** `dev.docker-shell.lease`: the lease itself, as JSON. */
export const LABEL_LEASE = 'dev.docker-shell.lease';

/** What a lease says of its sandbox. */
export type LeaseState =
  /** Handed over to nobody (`detach()`): any process may connect. */
  | 'detached'
  /** Checkpointed to disk (`hibernate()`): connecting wakes it. */
  | 'hibernated'
  /** Held by a process other than the one that created it (it connected). */
  | 'held';

/** A sandbox's lease. */
export interface Lease {
  containerId: string;
  state: LeaseState;
  /** With `held`: the holder, `<hostname>:<pid>`. */
  owner?: string;
  /** When the lease was written (ms since the epoch): for `detached`, when it was detached. */
  since: number;
  /** With `held`: unique to one claim, so two claims by one process (same owner, same millisecond) differ. */
  claim?: string;
  /** With `detached`: when the sandbox ends itself if nobody connects (ms since the epoch); undefined for never. */
  expiresAt?: number;
  /** What the next session must know of the shell (see Session.handOver()). */
  shellPid?: number;
  tasks?: number;
  /** With `hibernated`: the checkpoint to start from. */
  checkpoint?: string;
}

/** Lease volumes of waiting sandboxes are named this, then the container id. */
export const LEASE_PREFIX = 'docker-shell-lease-';
/** Lease volumes of held sandboxes are named this, then the container id. */
export const HOLD_PREFIX = 'docker-shell-hold-';

export function leaseName(containerId: string, state: LeaseState): string {
  return `${state === 'held' ? HOLD_PREFIX : LEASE_PREFIX}${containerId}`;
}

/** Writes a lease where there is none. False when another was there first (it is left as it is). */
export async function writeLease(docker: Dockerode, lease: Lease): Promise<boolean> {
  const body = JSON.stringify(lease);
  const Labels = { [LABEL_MANAGED]: 'true', [LABEL_LEASE_OF]: lease.containerId, [LABEL_LEASE]: body };
  const name = leaseName(lease.containerId, lease.state);
  // Creating a volume that exists leaves the existing one, labels and all: read back whose it is.
  await docker.createVolume({ Name: name, Labels });
  const written = (await docker.getVolume(name).inspect()) as { Labels?: Record<string, string> };
  return written.Labels?.[LABEL_LEASE] === body;
}

/** The sandbox's lease, or undefined when it has none (held by the process that created it). A held one wins. */
export async function readLease(docker: Dockerode, containerId: string): Promise<Lease | undefined> {
  const [held, waiting] = await Promise.all([inspectLease(docker, leaseName(containerId, 'held')), inspectLease(docker, leaseName(containerId, 'detached'))]);
  return held ?? waiting;
}

async function inspectLease(docker: Dockerode, name: string): Promise<Lease | undefined> {
  try {
    const volume = (await docker.getVolume(name).inspect()) as { Labels?: Record<string, string> };
    return parseLease(volume.Labels);
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

/** Every lease on the engine, by container id. */
export async function listLeases(docker: Dockerode): Promise<Map<string, Lease>> {
  const { Volumes } = (await docker.listVolumes({ filters: { label: [LABEL_LEASE_OF] } })) as { Volumes: Array<{ Labels?: Record<string, string> }> | null };
  const leases = new Map<string, Lease>();
  for (const volume of Volumes ?? []) {
    const lease = parseLease(volume.Labels);
    if (lease && (lease.state === 'held' || !leases.has(lease.containerId))) leases.set(lease.containerId, lease);
  }
  return leases;
}

/** Removes the lease of that kind; false when there was none. */
export async function removeLease(docker: Dockerode, containerId: string, state: LeaseState): Promise<boolean> {
  try {
    await docker.getVolume(leaseName(containerId, state)).remove();
    return true;
  } catch (error) {
    if (statusOf(error) === 404) return false;
    throw error;
  }
}

function parseLease(labels: Record<string, string> | undefined): Lease | undefined {
  const text = labels?.[LABEL_LEASE];
  if (!text) return undefined;
  try {
    const lease = JSON.parse(text) as Lease;
    return typeof lease.containerId === 'string' && typeof lease.state === 'string' ? lease : undefined;
  } catch {
    return undefined;
  }
}

/** Removes every lease of the sandbox (when it is removed itself). */
export async function removeLeases(docker: Dockerode, containerId: string): Promise<void> {
  await Promise.all([removeLease(docker, containerId, 'held'), removeLease(docker, containerId, 'detached')]);
}
