/**
 * Removing a sandbox from outside, by id, whoever made it: what `docker-shell stop` does to a
 * sandbox nobody can connect to (ended, hibernated) or, when forced, one a live process holds.
 */
import type Dockerode from 'dockerode';
import { dockerError, statusOf } from '../docker-client.js';
import { readLease, removeLeases, type Lease } from './lease.js';

/** Kills and removes the container (with its anonymous volumes) and its leases; one already gone is no error. */
export async function removeSandbox(docker: Dockerode, containerId: string): Promise<void> {
  try {
    await docker.getContainer(containerId).remove({ force: true, v: true });
  } catch (error) {
    // 404: already gone; 409: a removal is already under way.
    const status = statusOf(error);
    if (status !== 404 && status !== 409) throw dockerError(docker, `remove container ${containerId}`, error);
  }
  await removeLeases(docker, containerId).catch((error: unknown) => {
    throw dockerError(docker, `remove the lease of container ${containerId}`, error);
  });
}

/** The sandbox's lease (see lease.ts), for a caller that must know how it was detached; undefined when it has none. */
export async function sandboxLease(docker: Dockerode, containerId: string): Promise<Lease | undefined> {
  return readLease(docker, containerId).catch((error: unknown) => {
    throw dockerError(docker, `read the lease of container ${containerId}`, error);
  });
}
