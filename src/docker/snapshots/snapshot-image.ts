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
  /** A container made by `createHelper()`: what the image is committed from. */
  helper: Promise<Dockerode.Container>;
  /** The tag in `docker-shell/snapshot`. */
  tag: string;
  state: Buffer;
  archiveFile: string;
  /** The image's labels (what it is, and what it carries). */
  labels: Record<string, string>;
}

/**
 * A container created (never started) from `base`: the snapshot image is committed from it. Its
 * labels say it is docker-shell's and whose, so that `prune()` and the reaper remove it if this
 * process dies meanwhile; the image's own labels are given at commit. Made while the sandbox is
 * being captured when the base is known before (a read-only root: the sandbox's own image).
 */
export async function createHelper(docker: Dockerode, base: Promise<string>, labels: Record<string, string>): Promise<Dockerode.Container> {
  const image = await base;
  try {
    return await docker.createContainer({ Image: image, Entrypoint: ['bash'], Cmd: [], Labels: labels });
  } catch (error) {
    throw dockerError(docker, `create a container from ${image}`, error);
  }
}

/** Removes a helper, whether it was made or not. */
export async function removeHelper(helper: Promise<Dockerode.Container> | undefined): Promise<void> {
  const container = await helper?.catch(() => undefined);
  await container?.remove({ force: true }).catch(() => {});
}

/** Puts the state and the archive into the helper, commits the image (labels given here) and resolves with its id. */
export async function buildSnapshotImage(input: ImageInput): Promise<string> {
  const { docker } = input;
  try {
    const helper = await input.helper;
    await helper.putArchive((await snapshotArchive(input)) as unknown as NodeJS.ReadableStream, { path: '/' }).catch((error: unknown) => {
      throw dockerError(docker, 'put the snapshot files into the image', error);
    });
    // The query is the commit's; the body, a config merged over the helper's: the image's labels, bash as its command.
    const query = { container: helper.id, repo: SNAPSHOT_REPOSITORY, tag: input.tag, pause: false, comment: 'docker-shell snapshot' };
    const body = { Labels: input.labels, Entrypoint: ['bash'], Cmd: [] };
    const committed = (await helper.commit({ _query: query, _body: body }).catch((error: unknown) => {
      throw dockerError(docker, 'commit the snapshot image', error);
    })) as { Id: string };
    return committed.Id;
  } finally {
    await removeHelper(input.helper);
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
