/**
 * Live forks of a hibernated gVisor sandbox, handed over as detached sandboxes: each is a new
 * container started from the sandbox's checkpoint (its processes, memory and shell running on), whose
 * shell then waits in its command loop for `DockerRunner.connect()`, as after `detach()`.
 */
import type Dockerode from 'dockerode';
import { writeLease, type Lease } from '../detach/lease.js';
import { removeSandbox } from '../detach/remove-sandbox.js';
import { liveForkContainer } from './live-fork.js';

/**
 * Starts `count` forks of the hibernated sandbox `source` from the checkpoint its lease names, each
 * labelled by `labelsFor()`, and leaves them detached (with no idle limit: they are connected to at
 * once). Resolves with their ids; on failure, those already made are removed.
 */
export async function liveForks(
  docker: Dockerode,
  source: Dockerode.Container,
  hibernated: Lease,
  count: number,
  labelsFor: () => Record<string, string>,
): Promise<string[]> {
  const ids: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const fork = await liveForkContainer(docker, source, hibernated.checkpoint as string, { labels: labelsFor() });
      ids.push(fork.container.id);
      fork.attached.release();
      await writeLease(docker, {
        containerId: fork.container.id,
        state: 'detached',
        since: Date.now(),
        shellPid: hibernated.shellPid,
        tasks: hibernated.tasks,
      });
    }
    return ids;
  } catch (error) {
    await Promise.all(ids.map((id) => removeSandbox(docker, id).catch(() => {})));
    throw error;
  }
}
