/**
 * The engine's own quota on a writable root (`--storage-opt size=`), used where its storage driver
 * has one: overlay2 only over xfs mounted with `pquota` (devicemapper, btrfs and zfs too). Elsewhere
 * the engine refuses the create, which we remember per engine, and the layer watchdog bounds the root.
 */
import type Dockerode from 'dockerode';
import { statusOf } from '../docker-client.js';

/** Engines that refused a quota once (per dockerode instance): asked again only by a new instance. */
const refusing = new WeakSet<Dockerode>();

/** Whether the container got the engine's quota; false means nothing bounds its layer but a watchdog. */
export interface CreatedContainer {
  container: Dockerode.Container;
  hasQuota: boolean;
}

/**
 * Creates the container; with a writable root, with a quota of `diskBytes` on its writable layer
 * when the engine has one.
 */
export async function createWithQuota(docker: Dockerode, spec: Dockerode.ContainerCreateOptions, diskBytes: number): Promise<CreatedContainer> {
  if (spec.HostConfig?.ReadonlyRootfs === true || refusing.has(docker)) return { container: await docker.createContainer(spec), hasQuota: false };
  const withQuota = { ...spec, HostConfig: { ...spec.HostConfig, StorageOpt: { size: String(diskBytes) } } };
  try {
    return { container: await docker.createContainer(withQuota), hasQuota: true };
  } catch (error) {
    if (!refusesQuota(error)) throw error;
    refusing.add(docker);
    return { container: await docker.createContainer(spec), hasQuota: false };
  }
}

/** The engine's answer to a quota its storage cannot keep, e.g. "--storage-opt is supported only for overlay over xfs with 'pquota' mount option". */
export function refusesQuota(error: unknown): boolean {
  const status = statusOf(error);
  const message = String((error as { json?: { message?: unknown } } | null)?.json?.message ?? (error as Error | null)?.message ?? '');
  return (status === 400 || status === 500) && /storage[- ]?opt|quota/i.test(message);
}
