/** Building an image with the engine's classic builder, with streamed output, progress and typed failures. */
import { performance } from 'node:perf_hooks';
import { ImageBuildError, InvalidArgumentError } from '../../errors.js';
import { checkBoolean, checkFunction, checkOptionsObject, checkSignal, checkStringRecord } from '../../option-checks.js';
import { dockerError, isUnreachable, resolveDocker, statusOf, type DockerConnection } from '../docker-client.js';
import { packBuildContext } from './build-context.js';
import { BuildOutputParser, type BuildProgressEvent } from './build-output.js';
import { CallbackGuard, canReachEngine, engineMessage, imageId, streamError } from './engine.js';
import { readJsonLines } from './json-lines.js';

export type { BuildProgressEvent } from './build-output.js';

/** Options of {@link buildImage}. Give `dockerfile`, `context`, or both. */
export interface BuildImageOptions {
  /** The tag of the built image, e.g. `my/tool:1` (required). */
  tag: string;
  /**
   * The Dockerfile's text. Without `context` the build context is in memory: this Dockerfile and
   * `files`. With `context` it replaces the directory's own Dockerfile (and is not sent as a file of
   * the context, like `docker build -f - DIR`).
   */
  dockerfile?: string;
  /**
   * A local directory sent as the build context, streamed (never buffered whole). Its
   * `.dockerignore` is honoured with the Docker CLI's rules; symbolic links are sent as links.
   */
  context?: string;
  /** Extra files for the context, by relative POSIX path; they win over the directory's files. Default: none. */
  files?: Record<string, string | Uint8Array>;
  /** `ARG` values. Default: none. */
  buildArgs?: Record<string, string>;
  /**
   * Ask the engine to pull a newer version of every `FROM` image. Default `false`: `FROM` images are
   * used as they are locally (the engine still tries to pull one that is missing). `true` needs a
   * reachable registry.
   */
  pull?: boolean;
  /** Each line the build prints, as it arrives, without its newline (step headers included). Default: none. */
  onOutput?: (line: string) => void;
  /** Called when a step starts: `{ step, totalSteps, instruction }`, steps 1..N in order. Default: none. */
  onProgress?: (event: BuildProgressEvent) => void;
  /**
   * Cancels the build when aborted (the engine stops it and removes its intermediate container);
   * `buildImage()` rejects with the signal's reason. Default: no limit.
   */
  signal?: AbortSignal;
}

/** What {@link buildImage} resolves with, e.g. `{ tag: 'my/app:1', id: 'sha256:...', durationMs: 1174 }`. */
export interface BuildImageResult {
  /** The tag given. */
  tag: string;
  /** The image id, `sha256:...`. */
  id: string;
  /** From the call until the engine confirmed the image. */
  durationMs: number;
}

const BUILD_OPTION_NAMES = ['tag', 'dockerfile', 'context', 'files', 'buildArgs', 'pull', 'onOutput', 'onProgress', 'signal'];

/**
 * Builds an image from a Dockerfile (in memory, or a local directory) with the engine's classic
 * builder (the `Step N/M` one; no BuildKit), streaming its output.
 *
 * Intermediate containers are removed whether steps succeed or fail (`forcerm`). The engine's build
 * cache applies: an unchanged step prints `Using cache`. As with `docker build`, a build that fails
 * after some steps succeeded leaves their layers as untagged cache images (`docker image prune`).
 *
 * @param connection - a dockerode instance, or the options to make one.
 * @throws ImageBuildError (code `ERR_IMAGE_BUILD`) when a step fails or the engine refuses the build:
 *   it carries `tag`, `step` (the failing instruction), `stepNumber`/`totalSteps`, `log` (that step's
 *   output lines), `exitCode` of a failing `RUN`, and its message quotes the step and its last lines.
 * @throws InvalidArgumentError for a missing tag, no `dockerfile` and no `context`, a `context` that is
 *   not a directory, a `files` path outside the context.
 * @throws DockerUnavailableError when no engine answers; the signal's reason when aborted; an error
 *   thrown by `onOutput`/`onProgress` as it is (the build is canceled).
 *
 * @example
 * ```ts
 * const { id, durationMs } = await buildImage(docker, {
 *   tag: 'my/gm:1',
 *   dockerfile: [
 *     'FROM docker-shell/base:bookworm',
 *     'RUN apt-get update && apt-get install -y --no-install-recommends graphicsmagick && rm -rf /var/lib/apt/lists/*',
 *   ].join('\n'),
 *   onProgress: ({ step, totalSteps, instruction }) => console.log(`[${step}/${totalSteps}] ${instruction}`),
 *   onOutput: (line) => console.log(line),
 * });
 * ```
 */
export async function buildImage(connection: DockerConnection, options: BuildImageOptions): Promise<BuildImageResult> {
  const started = performance.now();
  const docker = resolveDocker(connection, 'connection');
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', 'an object with at least `tag`', options);
  checkOptionsObject(options, BUILD_OPTION_NAMES, 'buildImage()');
  const { tag, signal } = options;
  if (typeof tag !== 'string' || tag.trim() === '') throw new InvalidArgumentError('tag', 'an image tag such as "my/image:1"', tag);
  checkStringRecord(options.buildArgs, 'buildArgs');
  checkBoolean(options.pull, 'pull');
  checkFunction(options.onOutput, 'onOutput', '(line) => void');
  checkFunction(options.onProgress, 'onProgress', '(event) => void');
  checkSignal(signal);
  const buildArgs = options.buildArgs ?? {};
  signal?.throwIfAborted();

  const context = await packBuildContext(options);
  const guard = new CallbackGuard();
  const parser = new BuildOutputParser({
    onLine: (line) => guard.call(options.onOutput, line),
    onStep: (event) => guard.call(options.onProgress, event),
  });

  let response: NodeJS.ReadableStream;
  try {
    response = await docker.buildImage(context.stream as unknown as NodeJS.ReadableStream, {
      t: tag,
      dockerfile: context.dockerfile,
      ...(Object.keys(buildArgs).length > 0 ? { buildargs: buildArgs } : {}),
      ...(options.pull === true ? { pull: true } : {}),
      rm: true,
      forcerm: true,
      ...(signal ? { abortSignal: signal } : {}),
    });
  } catch (error) {
    context.stream.destroy();
    if (signal?.aborted) throw signal.reason;
    const packing = context.failure();
    if (packing) throw packing;
    if (isUnreachable(error) && !(await canReachEngine(docker))) throw dockerError(docker, `build image ${tag}`, error);
    const status = statusOf(error);
    if (status === undefined) throw dockerError(docker, `build image ${tag}`, error);
    // The engine refused the build before it started, e.g. a Dockerfile syntax error (HTTP 400).
    throw new ImageBuildError(
      tag,
      { step: undefined, stepNumber: undefined, totalSteps: undefined, log: [], detail: engineMessage(error), exitCode: undefined },
      { cause: error },
    );
  }

  try {
    await readJsonLines(response, (message) => parser.push(message));
    parser.end();
  } catch (error) {
    guard.rethrow();
    if (signal?.aborted) throw signal.reason;
    throw await streamError(docker, `build image ${tag}`, error);
  }

  const failure = parser.failure();
  if (failure) throw new ImageBuildError(tag, failure);
  const id = parser.imageId ?? (await imageId(docker, tag));
  if (id === undefined) {
    throw new ImageBuildError(tag, {
      step: undefined,
      stepNumber: undefined,
      totalSteps: undefined,
      log: parser.stepLog.slice(),
      detail: 'the engine ended the build without an error, but no image is tagged with it',
      exitCode: undefined,
    });
  }
  return { tag, id, durationMs: performance.now() - started };
}
