/**
 * Copies a checkpoint from one container's store to another's. Docker 20.10 has no API for it (and
 * refuses `--checkpoint-dir`: "custom checkpointdir is not supported"), but a checkpoint is a
 * directory under the engine's root (`<DockerRootDir>/containers/<id>/checkpoints/<name>`), and a
 * container started with `--checkpoint` reads its own: so the directory is copied there. The copy's
 * files get fresh times: the engine uploads a checkpoint to containerd as a tar named by its digest,
 * and one identical to another upload still in its store is refused ("content sha256:...: already
 * exists"), as seen once when a fork started from a copy that kept the source's times.
 */
import { cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { CheckpointFailedError } from '../../errors.js';
import { engineMessage } from './checkpoint-engine.js';
import { canReach, runHelper, type HostMethod } from './host-helper.js';

/** Options of `copyCheckpoint()`. */
export interface CopyCheckpointOptions {
  /** Image of the helper container, if one is needed (`sh`, `mkdir`, `chmod`, `cp`). */
  helperImage: string;
  /** Use the helper container even when the engine's root is visible here (for tests). Default: false. */
  forceHelper?: boolean;
}

// Not `cp -a`: fresh times make the copy's archive differ from the source's (see below).
const COPY_SCRIPT = 'mkdir -p "/c/$2/checkpoints" && chmod 700 "/c/$2/checkpoints" && cp -R "/c/$1/checkpoints/$3" "/c/$2/checkpoints/$3"';

/**
 * Copies the checkpoint `name` of container `sourceId` into container `targetId`'s store.
 * @throws CheckpointFailedError (operation `'copy'`) when it cannot be copied.
 */
export async function copyCheckpoint(docker: Dockerode, sourceId: string, targetId: string, name: string, options: CopyCheckpointOptions): Promise<HostMethod> {
  try {
    const containers = join(((await docker.info()) as { DockerRootDir?: string }).DockerRootDir ?? '/var/lib/docker', 'containers');
    const from = join(containers, sourceId, 'checkpoints', name);
    if (!options.forceHelper && (await canReach(from)) && (await canReach(join(containers, targetId), true))) {
      const into = join(containers, targetId, 'checkpoints');
      await mkdir(into, { recursive: true, mode: 0o700 });
      await cp(from, join(into, name), { recursive: true, errorOnExist: true, force: false });
      return 'local';
    }
    await runHelper(docker, { image: options.helperImage, binds: [`${containers}:/c`], script: COPY_SCRIPT, args: [sourceId, targetId, name] });
    return 'helper';
  } catch (error) {
    throw new CheckpointFailedError('copy', targetId, name, engineMessage(error), { cause: error });
  }
}
