/**
 * Making the snapshot image: a container created (never started) from the sandbox's image, or from
 * its committed layer, gets the state script and the archive of the tmpfs places at
 * /.docker-shell/snapshot/ (putArchive), and is committed with the snapshot's labels.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type Dockerode from 'dockerode';
import tar from 'tar-stream';
import { dockerError } from '../docker-client.js';
import { FILES_ARCHIVE, SNAPSHOT_DIR, STATE_SCRIPT } from './snapshot-scripts.js';
import { SNAPSHOT_REPOSITORY } from './snapshot.js';

export interface ImageInput {
  docker: Dockerode;
  /** The image the snapshot's layer goes on. */
  base: string;
  /** The tag in `docker-shell/snapshot`. */
  tag: string;
  state: Buffer;
  archiveFile: string;
  /** The image's labels (what it is, and what it carries). */
  labels: Record<string, string>;
  /** Labels of the short-lived helper container, so that `prune()` finds it if this process dies. */
  helperLabels: Record<string, string>;
}

/** Builds the image and resolves with its id. */
export async function buildSnapshotImage(input: ImageInput): Promise<string> {
  const { docker } = input;
  let helper: Dockerode.Container;
  try {
    // bash as the image's command: what a snapshot is, and what `docker run` of it then gives.
    helper = await docker.createContainer({ Image: input.base, Entrypoint: ['bash'], Cmd: [], Labels: { ...input.labels, ...input.helperLabels } });
  } catch (error) {
    throw dockerError(docker, `create a container from ${input.base}`, error);
  }
  try {
    await helper.putArchive((await snapshotArchive(input)) as unknown as NodeJS.ReadableStream, { path: '/' }).catch((error: unknown) => {
      throw dockerError(docker, 'put the snapshot files into the image', error);
    });
    const committed = (await helper
      .commit({ repo: SNAPSHOT_REPOSITORY, tag: input.tag, pause: false, comment: 'docker-shell snapshot' })
      .catch((error: unknown) => {
        throw dockerError(docker, 'commit the snapshot image', error);
      })) as { Id: string };
    return committed.Id;
  } finally {
    await helper.remove({ force: true }).catch(() => {});
  }
}

/** A tar of /.docker-shell/snapshot/: the state script and the archive, readable by any user (the child's reads them). */
async function snapshotArchive(input: ImageInput): Promise<tar.Pack> {
  const { size } = await stat(input.archiveFile);
  const pack = tar.pack();
  const dir = (name: string): void => void pack.entry({ name, type: 'directory', mode: 0o755, uid: 0, gid: 0 });
  dir(`${SNAPSHOT_DIR.slice(1).split('/')[0] ?? ''}/`);
  dir(`${SNAPSHOT_DIR.slice(1)}/`);
  pack.entry({ name: STATE_SCRIPT.slice(1), mode: 0o644, uid: 0, gid: 0 }, input.state);
  const entry = pack.entry({ name: FILES_ARCHIVE.slice(1), mode: 0o644, uid: 0, gid: 0, size }, (error) => {
    if (error) pack.destroy(error);
    else pack.finalize();
  });
  const source = createReadStream(input.archiveFile);
  source.on('error', (error) => pack.destroy(error));
  source.pipe(entry as unknown as NodeJS.WritableStream);
  return pack;
}
