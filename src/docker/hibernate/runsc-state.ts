/**
 * A workaround for runsc 20221219 (Debian's): checkpointing a container that was itself restored
 * from a checkpoint saves it and ends its sandbox, but leaves runsc's state file behind with the
 * status "paused" (its delete then panics: "invalid state transition: paused => stopped"), and the
 * next restore of that container fails with "id already in use". The sandbox's processes are gone
 * by then; only the file remains, so removing it is all `runsc delete` would have done.
 */
import { join } from 'node:path';
import { readdir, rm } from 'node:fs/promises';
import type Dockerode from 'dockerode';
import { canReach, runHelper, type HostMethod } from './host-helper.js';

/**
 * Where containerd's runc shim keeps the state of the engine's containers (`<exec-root>/runtime-runc/moby`,
 * for runsc too): dockerd's default exec-root is /var/run/docker.
 */
export const RUNSC_STATE_DIR = '/var/run/docker/runtime-runc/moby';

/** The engine's answer to a restore over a stale state file. */
export const STALE_STATE_MESSAGE = /id already in use/i;

const CLEAR_SCRIPT = 'rm -f "/s/$1_sandbox:$1.state" "/s/$1_sandbox:$1.lock"';

/**
 * Removes runsc's stale state of a stopped container, if there is any. `image` serves a helper
 * container when this process cannot reach the directory itself (unless `useHelper: false`). Returns how, or undefined when
 * there was nothing to do here.
 */
export async function clearStaleState(
  docker: Dockerode,
  containerId: string,
  { image, useHelper = true, stateDir = RUNSC_STATE_DIR }: { image: string; useHelper?: boolean; stateDir?: string },
): Promise<HostMethod | undefined> {
  const files = [`${containerId}_sandbox:${containerId}.state`, `${containerId}_sandbox:${containerId}.lock`];
  if (await canReach(stateDir, true)) {
    const present = (await readdir(stateDir)).filter((name) => files.includes(name));
    if (present.length === 0) return undefined;
    await Promise.all(present.map((name) => rm(join(stateDir, name), { force: true })));
    return 'local';
  }
  if (!useHelper) return undefined;
  await runHelper(docker, { image, binds: [`${stateDir}:/s`], script: CLEAR_SCRIPT, args: [containerId] });
  return 'helper';
}
