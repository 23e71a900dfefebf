/**
 * Creating a container from an image that may be missing, in one engine call when it is there: the
 * create itself answers "no such image", so no image inspect goes before it. Only then is the image
 * pulled (or said to be missing) as `ensureImage()` does, and the create tried again.
 */
import type Dockerode from 'dockerode';
import { statusOf } from '../docker-client.js';
import { ensureImage, type PullPolicy } from './ensure-image.js';

/** `create()` a container from `image`, ensuring the image (by `pull`) when the engine does not have it; 'always' pulls first. */
export async function createFromImage<T>(docker: Dockerode, image: string, pull: PullPolicy | undefined, create: () => Promise<T>): Promise<T> {
  if (pull === 'always') {
    await ensureImage(docker, image, { pull });
    return create();
  }
  try {
    return await create();
  } catch (error) {
    if (!isNoSuchImage(error)) throw error;
  }
  await ensureImage(docker, image, { pull });
  return create();
}

/** The engine's 404 for a create from an image it does not have ("No such image: x:y"), as opposed to other 404s. */
function isNoSuchImage(error: unknown): boolean {
  const message = String((error as { json?: { message?: unknown } } | null)?.json?.message ?? (error as Error | null)?.message ?? '');
  return statusOf(error) === 404 && /no such image/i.test(message);
}
