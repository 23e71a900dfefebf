/** Small engine helpers shared by the image modules. */
import type Dockerode from 'dockerode';
import { DockerApiError, DockerUnavailableError } from '../../errors.js';
import { describeAddress, dockerError, isUnreachable, statusOf } from '../docker-client.js';

/** True when the engine has `image` locally; engine failures become typed errors. */
export async function imagePresent(docker: Dockerode, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch (error) {
    if (statusOf(error) === 404) return false;
    throw dockerError(docker, `inspect image ${image}`, error);
  }
}

/** The image's id (`sha256:...`), or undefined when it is not there. */
export async function imageId(docker: Dockerode, image: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(image).inspect()).Id;
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw dockerError(docker, `inspect image ${image}`, error);
  }
}

export async function canReachEngine(docker: Dockerode): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}

/**
 * The typed error for a failure in the middle of a stream: `DockerUnavailableError` when the engine
 * no longer answers (it went away), else `DockerApiError`.
 */
export async function streamError(docker: Dockerode, operation: string, error: unknown): Promise<Error> {
  if (isUnreachable(error) || (error as { code?: unknown } | null)?.code === 'ERR_STREAM_PREMATURE_CLOSE') {
    if (!(await canReachEngine(docker))) return new DockerUnavailableError(describeAddress(docker), error);
  }
  return new DockerApiError(operation, error);
}

/**
 * Runs a user callback; if it throws, the error is remembered (so the caller can rethrow it as it is
 * instead of mistaking it for an engine failure) and rethrown to stop the stream.
 */
export class CallbackGuard {
  #thrown: { error: unknown } | undefined;

  call<A>(callback: ((arg: A) => void) | undefined, arg: A): void {
    if (!callback) return;
    try {
      callback(arg);
    } catch (error) {
      this.#thrown ??= { error };
      throw error;
    }
  }

  /** Throws the callback's error, if one threw. */
  rethrow(): void {
    if (this.#thrown) throw this.#thrown.error;
  }
}

/**
 * The engine's own message in a dockerode error. On streaming endpoints (pull, build) dockerode
 * leaves `json` empty and folds the message into `(HTTP code 500) server error - <message> `.
 */
export function engineMessage(error: unknown): string {
  const json = (error as { json?: { message?: unknown } } | null)?.json;
  if (typeof json?.message === 'string') return json.message.trim();
  const message = String((error as Error | null)?.message ?? error);
  return (/^\(HTTP code \d+\) .*? - ([\s\S]*)$/.exec(message)?.[1] ?? message).trim();
}
