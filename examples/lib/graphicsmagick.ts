/**
 * An image with GraphicsMagick, derived from the offline base image: the example of extending it.
 * Packages come from Debian's mirror over Docker's bridge network during the build, so no container
 * registry is needed. Built once (about 20-40 s), then reused.
 *
 * Examples import it (`import { GM_IMAGE, ensureGraphicsMagickImage } from './lib/graphicsmagick.js'`);
 * it is example code, not part of the library's API. Build it by hand with
 * `npx tsx examples/lib/graphicsmagick.ts` (add `--force` to rebuild).
 */
import { pathToFileURL } from 'node:url';
import Dockerode from 'dockerode';
import { BASE_IMAGE, ImageNotFoundError, buildBaseImage, buildImage, ensureImage, type BuildProgressEvent, type DockerConnection } from '../../src/index.js';

/** The reusable GraphicsMagick image's tag. */
export const GM_IMAGE = 'docker-shell/graphicsmagick:bookworm';

/** Its Dockerfile: the base image plus graphicsmagick, without apt's package lists. */
export const GM_DOCKERFILE = `FROM ${BASE_IMAGE}
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends graphicsmagick \\
 && rm -rf /var/lib/apt/lists/*
`;

/** Options of {@link ensureGraphicsMagickImage}. */
export interface EnsureGraphicsMagickImageOptions {
  /** Default {@link GM_IMAGE}. */
  tag?: string;
  /** Rebuild even when present. Default `false`. */
  force?: boolean;
  /** Build output (and the base image script's, if the base has to be built), line by line. */
  onOutput?: (line: string) => void;
  onProgress?: (event: BuildProgressEvent) => void;
  signal?: AbortSignal;
}

/**
 * Makes sure the GraphicsMagick image exists: reuses it when present, else builds it from the base
 * image (building the base first if that is missing too).
 *
 * @param docker - a dockerode instance or its options. Default: `DOCKER_HOST`, else the local socket.
 * @returns the tag, image id, whether it was built now, and how long it took.
 * @throws ImageBuildError when apt fails (e.g. the mirror is unreachable): its `log` has apt's output.
 * @throws BaseImageBuildError when the base image is missing and cannot be built here.
 *
 * @example
 * ```ts
 * await ensureGraphicsMagickImage(undefined, { onOutput: (line) => console.log(line) });
 * await using runner = await DockerRunner.start({ image: GM_IMAGE });
 * await runner.run('gm version', { check: true });
 * ```
 */
export async function ensureGraphicsMagickImage(
  docker?: DockerConnection,
  options: EnsureGraphicsMagickImageOptions = {},
): Promise<{ tag: string; id: string; built: boolean; durationMs: number }> {
  const started = performance.now();
  const tag = options.tag ?? GM_IMAGE;
  const engine = docker instanceof Dockerode ? docker : new Dockerode(docker);
  if (options.force !== true) {
    try {
      await ensureImage(engine, tag, { pull: 'never' }); // typed errors: engine down, image missing
      const { Id } = await engine.getImage(tag).inspect();
      return { tag, id: Id, built: false, durationMs: performance.now() - started };
    } catch (error) {
      if (!(error instanceof ImageNotFoundError)) throw error;
    }
  }
  await buildBaseImage(engine, { onOutput: options.onOutput });
  const { id } = await buildImage(engine, {
    tag,
    dockerfile: GM_DOCKERFILE,
    onOutput: options.onOutput,
    onProgress: options.onProgress,
    signal: options.signal,
  });
  return { tag, id, built: true, durationMs: performance.now() - started };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await ensureGraphicsMagickImage(undefined, {
    force: process.argv.includes('--force'),
    onOutput: (line) => console.log(line),
  });
  console.log(`${result.tag}: ${result.id} (${result.built ? `built in ${(result.durationMs / 1000).toFixed(1)} s` : 'already there'})`);
}
