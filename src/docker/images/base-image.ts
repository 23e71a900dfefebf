/**
 * The offline base image as a function: `buildBaseImage()` runs `scripts/build-base-image.sh`
 * (debootstrap a Debian bookworm minbase root filesystem, `docker import` it), which needs no registry.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath } from 'node:url';
import type Dockerode from 'dockerode';
import { BaseImageBuildError, InvalidArgumentError, type BaseImageFailureReason } from '../../errors.js';
import { checkBoolean, checkFunction, checkOptionsObject } from '../../option-checks.js';
import { resolveDocker, type DockerConnection } from '../docker-client.js';
import { imageId } from './engine.js';

/**
 * The offline base image: Debian bookworm minbase (bash, coreutils, procps, apt), built by
 * `scripts/build-base-image.sh`. Extend it with {@link buildImage}, e.g. `FROM docker-shell/base:bookworm`
 * plus `RUN apt-get update && apt-get install -y --no-install-recommends graphicsmagick`: apt reaches
 * Debian's mirror over the bridge network during a build. `DockerRunner`'s default `image`.
 *
 * @example
 * ```ts
 * await buildImage(docker, { tag: 'my/gm:1', dockerfile: `FROM ${BASE_IMAGE}\nRUN apt-get update && apt-get install -y graphicsmagick` });
 * ```
 */
export const BASE_IMAGE = 'docker-shell/base:bookworm';

/**
 * Absolute path of the script that builds the base image (shipped in the package's `scripts/`).
 * Run it by hand with `bash <path> [tag] [--force]` (or `FORCE=1`), or `npm run setup` from a clone.
 *
 * @example
 * ```ts
 * execFileSync('bash', [BASE_IMAGE_SCRIPT, 'my/base:bookworm'], { stdio: 'inherit' });
 * ```
 */
export const BASE_IMAGE_SCRIPT = fileURLToPath(new URL('../../../scripts/build-base-image.sh', import.meta.url));

/** Options of {@link buildBaseImage}. */
export interface BuildBaseImageOptions {
  /** The tag to build. Default {@link BASE_IMAGE} (`docker-shell/base:bookworm`). */
  tag?: string;
  /** Rebuild even when the image is present. Default `false`: a present image is reused at once. */
  force?: boolean;
  /** Each line the script (and debootstrap, on failure) prints, as it arrives. Default: none. */
  onOutput?: (line: string) => void;
}

/** What {@link buildBaseImage} resolves with, e.g. `{ tag, id: 'sha256:...', built: false, durationMs: 3 }`. */
export interface BuildBaseImageResult {
  /** The tag built (or found). */
  tag: string;
  /** The image id, `sha256:...`. */
  id: string;
  /** `false` when the image was already there and reused. */
  built: boolean;
  /** From the call until the image was confirmed. */
  durationMs: number;
}

/** What the build needs from the host; see {@link diagnoseBaseImageHost}. */
export interface BaseImageHost {
  /** The effective user id; `undefined` where there is none (Windows). */
  uid: number | undefined;
  /** Debian or a derivative (`/etc/debian_version`): the script can install debootstrap itself. */
  debian: boolean;
  /** Whether a command is on the PATH. */
  has: (command: 'bash' | 'docker' | 'debootstrap') => boolean;
}

/**
 * Pure: why the base image cannot be built on this host, or undefined when it can be tried. The
 * same checks as the script, made first so the error is typed: bash and the docker CLI must be there;
 * debootstrap must be installed (or this is root on Debian, where the script installs it); and root.
 */
export function diagnoseBaseImageHost(host: BaseImageHost): BaseImageFailureReason | undefined {
  if (!host.has('bash')) return 'no-bash';
  if (!host.has('docker')) return 'no-docker-cli';
  const root = host.uid === 0;
  if (!host.has('debootstrap') && !(root && host.debian)) return 'no-debootstrap';
  if (!root) return 'not-root';
  return undefined;
}

/** This process's host, for {@link diagnoseBaseImageHost}. */
export function currentBaseImageHost(): BaseImageHost {
  return { uid: process.getuid?.(), debian: existsSync('/etc/debian_version'), has: onPath };
}

/**
 * Makes sure the offline base image exists: reuses it when present (unless `force`), otherwise runs
 * `scripts/build-base-image.sh` (about 30 s and ~120 MB; it needs root, debootstrap and the Debian
 * mirror, but no container registry), streaming its output.
 *
 * The script talks to the engine with the `docker` CLI; when `docker` is given as a socket or a plain
 * `http` address, the script is pointed at the same engine through `DOCKER_HOST` (TLS and SSH
 * connections: it uses the CLI's own configuration).
 *
 * @param connection - a dockerode instance or its options. Default: `DOCKER_HOST`, else the local socket.
 * @throws BaseImageBuildError (code `ERR_BASE_IMAGE_BUILD`) with `reason`: `not-root`,
 *   `no-debootstrap`, `no-docker-cli`, `no-bash` (checked before anything runs) or `script-failed`
 *   (with the script's last lines on `log` and in the message).
 * @throws DockerUnavailableError when no engine answers.
 *
 * @example
 * ```ts
 * const { id, built } = await buildBaseImage(undefined, { onOutput: (line) => console.error(line) });
 * // built === false when docker-shell/base:bookworm was there already
 * ```
 */
export async function buildBaseImage(connection?: DockerConnection, options: BuildBaseImageOptions = {}): Promise<BuildBaseImageResult> {
  const started = performance.now();
  checkOptionsObject(options, ['tag', 'force', 'onOutput'], 'buildBaseImage()');
  const tag = options.tag ?? BASE_IMAGE;
  if (typeof tag !== 'string' || tag.trim() === '') throw new InvalidArgumentError('tag', 'an image tag such as "docker-shell/base:bookworm"', tag);
  checkBoolean(options.force, 'force');
  checkFunction(options.onOutput, 'onOutput', '(line) => void');
  const docker = resolveDocker(connection, 'connection');
  if (options.force !== true) {
    const id = await imageId(docker, tag);
    if (id !== undefined) return { tag, id, built: false, durationMs: performance.now() - started };
  }
  const reason = diagnoseBaseImageHost(currentBaseImageHost());
  if (reason) throw new BaseImageBuildError(tag, reason);

  const env: NodeJS.ProcessEnv = { ...process.env, FORCE: options.force === true ? '1' : '0' };
  const host = connection === undefined ? undefined : await cliHostFor(docker);
  if (host !== undefined) env.DOCKER_HOST = host;
  const { exitCode, signal, log } = await runScript(tag, env, options.onOutput);
  if (exitCode !== 0) {
    throw new BaseImageBuildError(tag, classifyScriptFailure(log), { exitCode, log: signal === null ? log : [...log, `(the script was killed by ${signal})`] });
  }
  const id = await imageId(docker, tag);
  if (id === undefined) {
    throw new BaseImageBuildError(tag, 'script-failed', { exitCode, log: [...log, `(the script succeeded, but the engine has no image ${tag})`] });
  }
  return { tag, id, built: true, durationMs: performance.now() - started };
}

/** Pure: the reason behind a failed run of the script, from what it printed. */
export function classifyScriptFailure(log: readonly string[]): BaseImageFailureReason {
  const text = log.join('\n');
  if (/needs root/.test(text)) return 'not-root';
  if (/debootstrap is missing/.test(text)) return 'no-debootstrap';
  if (/docker: (command )?not found/.test(text)) return 'no-docker-cli';
  return 'script-failed';
}

const LOG_LINES = 60;

function runScript(
  tag: string,
  env: NodeJS.ProcessEnv,
  onOutput: ((line: string) => void) | undefined,
): Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; log: string[] }> {
  return new Promise((resolve, reject) => {
    const log: string[] = [];
    let callbackError: { error: unknown } | undefined;
    const child = spawn('bash', [BASE_IMAGE_SCRIPT, tag], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const line = (text: string): void => {
      log.push(text);
      if (log.length > LOG_LINES) log.shift();
      if (!onOutput || callbackError) return;
      try {
        onOutput(text);
      } catch (error) {
        callbackError = { error };
      }
    };
    for (const stream of [child.stdout, child.stderr]) {
      const decoder = new StringDecoder('utf8');
      let partial = '';
      stream.on('data', (chunk: Buffer) => {
        const lines = (partial + decoder.write(chunk)).split('\n');
        partial = lines.pop() ?? '';
        lines.forEach(line);
      });
      stream.on('end', () => {
        const rest = partial + decoder.end();
        if (rest !== '') line(rest);
      });
    }
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'ENOENT' ? new BaseImageBuildError(tag, 'no-bash', {}, { cause: error }) : error);
    });
    child.on('close', (exitCode, signal) => {
      if (callbackError) reject(callbackError.error);
      else resolve({ exitCode, signal, log });
    });
  });
}

/** The `DOCKER_HOST` that points the CLI at the same engine as `docker`, when that can be said. */
async function cliHostFor(docker: Dockerode): Promise<string | undefined> {
  const modem = docker.modem as { socketPath?: unknown; getSocketPath?: () => Promise<unknown>; protocol?: string; host?: string; port?: string | number };
  // docker-modem's default socketPath is a function that finds the socket; getSocketPath resolves it.
  const socket = typeof modem.socketPath === 'function' ? await modem.getSocketPath?.().catch(() => undefined) : modem.socketPath;
  if (typeof socket === 'string' && socket !== '') return `unix://${socket}`;
  if (modem.socketPath === undefined && modem.protocol === 'http' && modem.host) return `tcp://${modem.host}:${modem.port ?? 2375}`;
  return undefined;
}

function onPath(command: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}
