/**
 * Runs once before the tests: the Docker engine and the base image must be there. Docker tests
 * never skip: a missing engine fails the run, with what to do (`npm test` runs `npm run setup` first).
 */
import Dockerode from 'dockerode';
import { BASE_IMAGE } from '../../src/docker/images.js';

export default async function setup(): Promise<void> {
  const docker = new Dockerode();
  try {
    await docker.ping();
  } catch (error) {
    throw new Error(`No Docker engine answers (${(error as Error).message}). Run \`npm run setup\` (as root on Debian it installs and starts one).`);
  }
  try {
    await docker.getImage(BASE_IMAGE).inspect();
  } catch {
    throw new Error(`The base image ${BASE_IMAGE} is missing. Run \`npm run setup\` to build it offline.`);
  }
}
