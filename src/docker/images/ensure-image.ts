/** Making sure an image is there before a container is created from it, pulling it when allowed. */
import { ImageNotFoundError } from '../../errors.js';
import { checkChoice, checkFunction, checkOptionsObject, checkSignal, checkString } from '../../option-checks.js';
import { dockerError, isUnreachable, resolveDocker, type DockerConnection } from '../docker-client.js';
import { BASE_IMAGE } from './base-image.js';
import { CallbackGuard, canReachEngine, engineMessage, imagePresent } from './engine.js';
import { readJsonLines } from './json-lines.js';
import { PullProgressTracker, type PullEvent } from './pull-progress.js';

/** When to pull: only when missing (default), never, or always. */
export type PullPolicy = 'missing' | 'never' | 'always';

export const PULL_POLICIES: readonly PullPolicy[] = ['missing', 'never', 'always'];

/** Options of {@link ensureImage}. */
export interface EnsureImageOptions {
  /**
   * When to pull. Default `'missing'`: use the local image, pull only when it is not there.
   * `'never'`: fail at once when it is missing. `'always'`: pull, and fall back on the local image
   * when the pull fails.
   */
  pull?: PullPolicy;
  /**
   * Called for each progress message while pulling (not called when nothing is pulled): a
   * `{ type: 'layer', id, status, currentBytes, totalBytes }` per layer update, or a
   * `{ type: 'status', message }`. A callback that throws stops the pull, and `ensureImage()`
   * rejects with its error. Default: none.
   */
  onProgress?: (event: PullEvent) => void;
  /**
   * Stops waiting (and cancels the engine's pull) when aborted: `ensureImage()` rejects with the
   * signal's reason. Bound a pull with `AbortSignal.timeout(ms)`. Default: no limit (an engine that
   * cannot reach a registry answers at once: tens of milliseconds here).
   */
  signal?: AbortSignal;
}

/**
 * Resolves when `image` is present locally, pulling it first when the policy allows.
 *
 * @param connection - a dockerode instance, or the options to make one.
 * @param image - the image reference, e.g. `docker-shell/base:bookworm` or `debian:bookworm-slim`.
 * @throws ImageNotFoundError naming the image when it is missing and cannot be pulled (pulling is
 *   off, no registry answers, the registry has no such image). Its message says how to get it.
 * @throws DockerUnavailableError when no engine answers; the signal's reason when aborted.
 *
 * @example
 * ```ts
 * await ensureImage(docker, 'debian:bookworm-slim', {
 *   signal: AbortSignal.timeout(120_000),
 *   onProgress: (e) => e.type === 'layer' && console.log(e.id, e.status, e.currentBytes, '/', e.totalBytes),
 * });
 * ```
 */
export async function ensureImage(connection: DockerConnection, image: string, options: EnsureImageOptions = {}): Promise<void> {
  const docker = resolveDocker(connection, 'connection');
  checkString(image, 'image', 'an image reference such as "debian:bookworm-slim"', true);
  checkOptionsObject(options, ['pull', 'onProgress', 'signal'], 'ensureImage()');
  checkChoice(options.pull, 'pull', PULL_POLICIES);
  checkFunction(options.onProgress, 'onProgress', '(event) => void');
  checkSignal(options.signal);
  const pull = options.pull ?? 'missing';
  const { signal } = options;
  signal?.throwIfAborted();
  if (pull !== 'always' && (await imagePresent(docker, image))) return;
  signal?.throwIfAborted();
  if (pull === 'never') throw new ImageNotFoundError(image, hintFor(image, 'pulling is off (pull: "never")'));
  const tracker = new PullProgressTracker();
  const guard = new CallbackGuard();
  try {
    const stream = await docker.pull(image, signal ? { abortSignal: signal } : {});
    await readJsonLines(stream, (message) => {
      const event = tracker.update(message);
      if (event) guard.call(options.onProgress, event);
    });
    if (tracker.error !== undefined) throw new Error(tracker.error);
  } catch (error) {
    guard.rethrow();
    if (signal?.aborted) throw signal.reason;
    if (isUnreachable(error) && !(await canReachEngine(docker))) throw dockerError(docker, `pull ${image}`, error);
    if (pull === 'always' && (await imagePresent(docker, image))) return;
    const reason = engineMessage(error);
    throw new ImageNotFoundError(image, hintFor(image, `the pull failed: ${reason}`), error);
  }
}

function hintFor(image: string, why: string): string {
  const build =
    image === BASE_IMAGE
      ? ' Build it offline with `buildBaseImage()` or `bash scripts/build-base-image.sh` (or `npm run setup`).'
      : ' Build it (`buildImage()`) or load it locally, or reach a registry that has it.';
  return `${why[0]?.toUpperCase()}${why.slice(1)}.${build}`;
}
