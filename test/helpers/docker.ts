/** Shared helpers of the tests that run against the real Docker engine. */
import Dockerode from 'dockerode';
import { LABEL_MANAGED } from '../../src/docker/labels.js';

export const docker = new Dockerode();

/** Ids of all containers (running or not) that carry docker-shell's label. */
export async function labelledContainers(): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL_MANAGED}=true`] } });
  return list.map((c) => c.Id);
}
