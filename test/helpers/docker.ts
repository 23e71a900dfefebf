/** Shared helpers of the tests that run against the real Docker engine. */
import Dockerode from 'dockerode';
import { LABEL_MANAGED } from '../../src/docker/labels.js';

export const docker = new Dockerode();

/** Ids of all containers (running or not) that carry docker-shell's label, optionally of one image. */
export async function labelledContainers(image?: string): Promise<string[]> {
  const filters: Record<string, string[]> = { label: [`${LABEL_MANAGED}=true`] };
  if (image) filters.ancestor = [image];
  const list = await docker.listContainers({ all: true, filters });
  return list.map((c) => c.Id);
}
