/**
 * Taking over a sandbox another process detached: find it, check that nobody holds it, and take
 * its lease, all before anything is attached. Every refusal is a typed error, in one or two engine
 * calls (well under a second).
 */
import type Dockerode from 'dockerode';
import { SandboxHeldError, SandboxNotFoundError } from '../../errors.js';
import { dockerError, statusOf } from '../docker-client.js';
import { LABEL_EXPIRES_AT, LABEL_MANAGED, LABEL_OPTIONS, LABEL_OWNER } from '../labels.js';
import { currentOwner, isProcessAlive, parseOwner } from '../owner.js';
import { hostname } from 'node:os';
import { v4 as uuidv4 } from 'uuid';
import { readLease, removeLease, writeLease, type Lease } from './lease.js';

/** A sandbox this process now holds (its lease says so), with the lease it had before. */
export interface ClaimedSandbox {
  info: Dockerode.ContainerInspectInfo;
  lease: Lease;
  /** The options it was made with (see LABEL_OPTIONS). */
  options: Record<string, unknown>;
  /** When its lifetime ends (ms since the epoch), if it has one. */
  expiresAt: number | undefined;
}

/** Takes the sandbox for this process; `releaseClaim()` gives it back as it was. */
export async function claimSandbox(docker: Dockerode, id: string): Promise<ClaimedSandbox> {
  let info: Dockerode.ContainerInspectInfo;
  try {
    info = await docker.getContainer(id).inspect();
  } catch (error) {
    if (statusOf(error) === 404) throw new SandboxNotFoundError(id, 'unknown', 'no container has that id or name');
    throw dockerError(docker, `inspect container ${id}`, error);
  }
  const labels = info.Config.Labels ?? {};
  if (labels[LABEL_MANAGED] !== 'true') throw new SandboxNotFoundError(id, 'not-docker-shell', 'that container was not made by docker-shell');
  const lease = await readLease(docker, info.Id);
  if (!lease || lease.state === 'held') {
    const owner = lease?.owner ?? labels[LABEL_OWNER];
    if (ownerIsGone(owner)) throw new SandboxNotFoundError(id, 'ended', `the process that held it (${owner}) is gone`);
    throw new SandboxHeldError(info.Id, owner);
  }
  const expiresAt = labels[LABEL_EXPIRES_AT] === undefined ? undefined : Number(labels[LABEL_EXPIRES_AT]);
  if (lease.state === 'detached' && !info.State.Running) {
    const why =
      lease.expiresAt !== undefined && Date.now() >= lease.expiresAt
        ? 'it received no command for its idle timeout and ended itself'
        : `its shell ended (${info.State.Status}, exit status ${info.State.ExitCode})`;
    throw new SandboxNotFoundError(id, 'ended', why);
  }
  if (expiresAt !== undefined && Date.now() >= expiresAt) throw new SandboxNotFoundError(id, 'ended', 'it reached its lifetime (lifetimeMs)');
  // The deciding step: of two claims at once (two processes, or two connects in one), one gets its own hold back, the other the first's.
  const hold: Lease = { containerId: info.Id, state: 'held', owner: currentOwner(), since: Date.now(), claim: uuidv4() };
  if (!(await writeLease(docker, hold))) throw new SandboxHeldError(info.Id, (await readLease(docker, info.Id))?.owner);
  await removeLease(docker, info.Id, lease.state);
  let options: Record<string, unknown> = {};
  try {
    options = JSON.parse(labels[LABEL_OPTIONS] ?? '{}') as Record<string, unknown>;
  } catch {
    // Made by an older docker-shell: the defaults, and the image it runs.
  }
  return { info, lease, options: { image: info.Config.Image, ...options }, expiresAt };
}

/** True only when the owner is a process of this host that no longer exists: in doubt, it is held. */
function ownerIsGone(owner: string | undefined): boolean {
  const parsed = parseOwner(owner);
  return parsed !== undefined && parsed.hostname === hostname() && !isProcessAlive(parsed.pid);
}

/** Undoes `claimSandbox()`: the sandbox waits again as it did (nothing in it was changed). */
export async function releaseClaim(docker: Dockerode, claimed: ClaimedSandbox): Promise<void> {
  await writeLease(docker, claimed.lease);
  await removeLease(docker, claimed.info.Id, 'held');
}
