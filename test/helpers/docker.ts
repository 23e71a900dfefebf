/** Shared helpers of the tests that run against the real Docker engine. */
import Dockerode from 'dockerode';
import { BASE_IMAGE } from '../../src/docker/images.js';
import { LABEL_MANAGED } from '../../src/docker/labels.js';

export const docker = new Dockerode();

/** Ids of all containers (running or not) that carry docker-shell's label, optionally of one image. */
export async function labelledContainers(image?: string): Promise<string[]> {
  const filters: Record<string, string[]> = { label: [`${LABEL_MANAGED}=true`] };
  if (image) filters.ancestor = [image];
  const list = await docker.listContainers({ all: true, filters });
  return list.map((c) => c.Id);
}

/** Ids of docker-shell's containers that also carry `label=true`: one test file's own. */
export async function containersLabelled(label: string): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL_MANAGED}=true`, `${label}=true`] } });
  return list.map((c) => c.Id);
}

/**
 * Creates (does not start) a container of the base image with exactly these labels, as a stand-in
 * for a runner's container whose owner is whoever the labels say. Returns its id.
 */
export async function createLabelledContainer(labels: Record<string, string>): Promise<string> {
  const container = await docker.createContainer({ Image: BASE_IMAGE, Cmd: ['true'], Labels: labels });
  return container.id;
}

/** True while the engine knows a container with this id. */
export async function containerExists(id: string): Promise<boolean> {
  try {
    await docker.getContainer(id).inspect();
    return true;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw error;
  }
}

/** True while the engine knows an image with this id or name. */
export async function imageExists(id: string): Promise<boolean> {
  return docker
    .getImage(id)
    .inspect()
    .then(
      () => true,
      (error: { statusCode?: number }) => {
        if (error.statusCode === 404) return false;
        throw error;
      },
    );
}

/** Removes containers a test made, whether or not they are still there. */
export async function removeContainers(ids: Iterable<string>): Promise<void> {
  await Promise.all(
    [...ids].map((id) =>
      docker
        .getContainer(id)
        .remove({ force: true, v: true })
        .catch((error: { statusCode?: number }) => {
          if (error.statusCode !== 404 && error.statusCode !== 409) throw error;
        }),
    ),
  );
}
