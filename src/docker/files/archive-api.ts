/**
 * Docker's archive API (`GET/HEAD/PUT /containers/{id}/archive`): the path stat it answers with, the
 * tmpfs mounts it cannot see, and its error answers turned into typed errors.
 */
import type { IncomingMessage } from 'node:http';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import { DockerShellError, FileNotFoundError, FilePermissionError, FileTransferError, FileTypeError } from '../../errors.js';
import { dockerError, statusOf } from '../docker-client.js';

/** What Docker says about a path (`X-Docker-Container-Path-Stat`); `mode` is a Go `os.FileMode`. */
export interface PathStat {
  name: string;
  size: number;
  mode: number;
  /** For a symlink: its target, resolved in the container. Empty otherwise. */
  linkTarget: string;
}

// Go's os.FileMode type bits (bitwise operators work on the low 32 bits, where they all are).
const GO_DIR = 0x80000000;
const GO_SYMLINK = 1 << 27;
const GO_SPECIAL = (1 << 26) | (1 << 25) | (1 << 24) | (1 << 21) | (1 << 19); // device, pipe, socket, char device, irregular

/** True when Docker's stat says directory. */
export function isDirectoryStat(stat: PathStat): boolean {
  return (stat.mode & GO_DIR) !== 0;
}

/** True when Docker's stat says symlink (`linkTarget` is then its target, resolved in the container). */
export function isSymlinkStat(stat: PathStat): boolean {
  return (stat.mode & GO_SYMLINK) !== 0;
}

/** True for FIFOs, sockets and devices. */
export function isSpecialStat(stat: PathStat): boolean {
  return (stat.mode & GO_SPECIAL) !== 0;
}

/** Reads the stat header of an archive answer; undefined when there is none. */
export function statOf(response: { headers?: IncomingMessage['headers'] }): PathStat | undefined {
  const header = response.headers?.['x-docker-container-path-stat'];
  if (typeof header !== 'string') return undefined;
  try {
    const stat = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as Partial<PathStat>;
    return { name: String(stat.name ?? ''), size: Number(stat.size ?? 0), mode: Number(stat.mode ?? 0), linkTarget: String(stat.linkTarget ?? '') };
  } catch {
    return undefined;
  }
}

/** `HEAD` of a path: its stat, or undefined when Docker answers 404 (the path or the container is missing). */
export async function statPath(container: Dockerode.Container, path: string): Promise<PathStat | undefined> {
  try {
    const response = (await container.infoArchive({ path })) as IncomingMessage;
    response.resume();
    return statOf(response);
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw archiveError(container, path, 'stat', error);
  }
}

/** `GET` of a path: the tar stream (an HTTP response) and its stat. Errors name `label` (default: `path`). */
export async function getArchiveStream(container: Dockerode.Container, path: string, label = path): Promise<{ stream: Readable; stat: PathStat | undefined }> {
  try {
    const response = (await container.getArchive({ path })) as IncomingMessage;
    return { stream: response, stat: statOf(response) };
  } catch (error) {
    throw archiveError(container, label, 'read', error);
  }
}

/**
 * `PUT` of a tar stream, extracted by Docker into the existing directory `dir`. When the stream fails
 * (a local file could not be read), the request is aborted and the stream's error is thrown.
 */
export async function putArchiveStream(container: Dockerode.Container, dir: string, tar: Readable, target: string): Promise<void> {
  const controller = new AbortController();
  let tarError: unknown;
  tar.once('error', (error) => {
    tarError = error;
    controller.abort();
  });
  try {
    await container.putArchive(tar as unknown as NodeJS.ReadableStream, { path: dir, noOverwriteDirNonDir: true, abortSignal: controller.signal });
  } catch (error) {
    // A local file that could not be read (typed by the packer) explains the abort; a tar stream
    // that failed only because Docker stopped reading does not explain Docker's answer.
    if (tarError instanceof DockerShellError) throw tarError;
    throw archiveError(container, target, 'write', error);
  }
  if (tarError !== undefined)
    throw tarError instanceof DockerShellError
      ? tarError
      : new FileTransferError(target, String((tarError as Error)?.message ?? tarError), { cause: tarError });
}

/**
 * Docker's error answers as typed errors naming `path`: 404 "Could not find the file", 500 "rootfs is
 * marked read-only" or "not a directory", 403; anything else (a missing container too) stays a
 * `DockerApiError` / `DockerUnavailableError`.
 */
export function archiveError(container: Dockerode.Container, path: string, action: 'read' | 'write' | 'stat', error: unknown): Error {
  const status = statusOf(error);
  const json = (error as { json?: { message?: unknown } } | null)?.json;
  const text = String(json?.message ?? (error as Error)?.message ?? '');
  if (status === 404 && /could not find the file/i.test(text)) return new FileNotFoundError(path, 'container', { cause: error });
  if (/read-only/i.test(text)) return new FilePermissionError(path, 'container', 'Docker: container rootfs is marked read-only', true, { cause: error });
  if (status === 403) return new FilePermissionError(path, 'container', `Docker: ${text}`, false, { cause: error });
  if (/cannot overwrite directory/i.test(text)) return new FileTypeError(path, 'container', 'file', 'a directory', { cause: error });
  if (/cannot overwrite non-directory/i.test(text)) return new FileTypeError(path, 'container', 'directory', 'not a directory', { cause: error });
  if (/not a directory|extraction point/i.test(text)) {
    return new FileTypeError(path, 'container', 'directory', 'not a directory (or has a parent that is not)', { cause: error });
  }
  return engineError(container, `${action} ${path} in container ${container.id}`, error);
}

/** `dockerError()` for a container object: the engine unreachable, or its answer. Typed errors pass through. */
export function engineError(container: Dockerode.Container, operation: string, error: unknown): Error {
  if (error instanceof DockerShellError) return error;
  // dockerError() only reads the connection (`modem`), to say where the engine was expected.
  const connection = { modem: (container as unknown as { modem: Dockerode['modem'] }).modem } as Dockerode;
  return dockerError(connection, operation, error);
}

const tmpfsCache = new WeakMap<Dockerode.Container, Promise<string[]>>();

/** The container's tmpfs mount points (HostConfig.Tmpfs and tmpfs Mounts), asked once per container object. */
export function tmpfsMounts(container: Dockerode.Container): Promise<string[]> {
  let mounts = tmpfsCache.get(container);
  if (!mounts) {
    mounts = container.inspect().then((info) => {
      const fromHost = Object.keys(info.HostConfig?.Tmpfs ?? {});
      const fromMounts = (info.Mounts ?? []).filter((m) => (m as { Type?: string }).Type === 'tmpfs').map((m) => m.Destination);
      return [...fromHost, ...fromMounts].map((m) => posix.normalize(m));
    });
    mounts.catch(() => tmpfsCache.delete(container));
    tmpfsCache.set(container, mounts);
  }
  return mounts;
}

/** True when `path` is a tmpfs mount point or below one (lexically: symlinks are not followed). */
export function onTmpfs(path: string, mounts: string[]): boolean {
  return mounts.some((mount) => path === mount || path.startsWith(mount === '/' ? '/' : `${mount}/`));
}
