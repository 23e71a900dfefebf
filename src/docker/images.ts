/** Making sure an image is there before a container is created from it. */
import type Dockerode from 'dockerode';
import { ImageNotFoundError } from '../errors.js';
import { dockerError, isUnreachable, statusOf } from './docker-client.js';

/** The offline base image: Debian bookworm minbase, built by `scripts/build-base-image.sh`. */
export const BASE_IMAGE = 'docker-shell/base:bookworm';

/** When to pull: only when missing (default), never, or always. */
export type PullPolicy = 'missing' | 'never' | 'always';

export interface EnsureImageOptions {
  pull?: PullPolicy;
}

/**
 * Resolves when `image` is present locally, pulling it first when the policy allows.
 * @throws ImageNotFoundError naming the image when it is missing and cannot be pulled.
 */
export async function ensureImage(docker: Dockerode, image: string, options: EnsureImageOptions = {}): Promise<void> {
  const pull = options.pull ?? 'missing';
  if (pull !== 'always' && (await isPresent(docker, image))) return;
  if (pull === 'never') throw new ImageNotFoundError(image, hintFor(image, 'pulling is off (pull: "never")'));
  try {
    const stream = await docker.pull(image);
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve())),
    );
  } catch (error) {
    if (isUnreachable(error) && !(await canReachEngine(docker))) throw dockerError(docker, `pull ${image}`, error);
    if (pull === 'always' && (await isPresent(docker, image))) return;
    const reason = (error as { json?: { message?: string } }).json?.message ?? (error as Error).message;
    throw new ImageNotFoundError(image, hintFor(image, `the pull failed: ${reason}`), error);
  }
}

async function isPresent(docker: Dockerode, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch (error) {
    if (statusOf(error) === 404) return false;
    throw dockerError(docker, `inspect image ${image}`, error);
  }
}

async function canReachEngine(docker: Dockerode): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}

function hintFor(image: string, why: string): string {
  const build =
    image === BASE_IMAGE ? ' Build it offline with `bash scripts/build-base-image.sh` (or `npm run setup`).' : ' Build or load it locally, or reach a registry that has it.';
  return `${why[0]?.toUpperCase()}${why.slice(1)}.${build}`;
}
