/**
 * Putting files and directories into the container.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import { FileTypeError, InvalidArgumentError } from '../../errors.js';
import { isDirectoryStat, isSymlinkStat, putArchiveStream, statPath } from './archive-api.js';
import { PUT_DIRECTORY, PUT_FILE } from './exec-scripts.js';
import { hostError } from './host-errors.js';
import { localFile, packItems, walkLocal, type LocalFile, type PackItem } from './pack.js';
import {
  PUT_OPTION_NAMES,
  archiveOwner,
  checkTransferOptions,
  containerPath,
  emptyResult,
  fileMode,
  hostPath,
  type PutOptions,
  type TransferResult,
} from './options.js';
import { routeFor, runPutScript } from './route.js';

/**
 * Writes a file into the container: `source` is its bytes, or the path of a local file (a string is
 * always a path). Missing parent directories are made, owned by the sandbox user. A file there is
 * replaced (on the exec route atomically: written beside it, then renamed).
 *
 * Default route for a non-root `user`: a `docker exec` as that user, so the file belongs to it and
 * the kernel checks the write as for its own commands. Mode: `mode`, else the local file's
 * permission bits, else 0o644 (setuid/setgid/sticky bits are dropped from local files).
 * @throws FilePermissionError (read-only root, a directory the user may not write), FileTypeError
 *   (the path is a directory, a parent is a file), FileNotFoundError (the local file is missing).
 * @example
 * await putFile(container, 'input.txt', Buffer.from('hello\n'), { workdir: '/home/sandbox', user: '65534:65534' });
 * await putFile(container, '/tmp/photo.jpg', './photo.jpg', { user: '65534:65534' });
 */
export async function putFile(container: Dockerode.Container, path: string, source: Uint8Array | string, options: PutOptions = {}): Promise<TransferResult> {
  checkTransferOptions(options, PUT_OPTION_NAMES, 'putFile()');
  const target = containerPath(path, options.workdir);
  let local: LocalFile | undefined;
  if (typeof source === 'string') local = await localFile(hostPath(source, 'source'));
  else if (!(source instanceof Uint8Array)) throw new InvalidArgumentError('source', 'bytes (a Uint8Array or Buffer) or a local file path', source);
  const mode = fileMode(options.mode, local?.mode ?? 0o644);
  const size = local ? local.size : (source as Uint8Array).byteLength;
  const route = await routeFor(container, target, options);
  const result = { ...emptyResult(target, route), files: 1, bytes: size };

  if (route === 'exec') {
    const stdin = local ? createReadStream(local.path) : Readable.from([Buffer.from(source as Uint8Array)]);
    await runPutScript(container, PUT_FILE, [target, mode.toString(8), String(size)], options, stdin, target, 'file');
    return result;
  }
  const { dir, missing } = await extractionPoint(container, posix.dirname(target), target);
  const name = [...missing, posix.basename(target)].join('/');
  const item: PackItem = local
    ? { type: 'local-file', name, mode, path: local.path, size, mtime: local.mtime }
    : { type: 'bytes', name, mode, data: source as Uint8Array };
  await putArchiveStream(container, dir, packItems([...parentItems(missing), item], archiveOwner(options)), target);
  return result;
}

/**
 * Copies the contents of local directory `localDir` into `containerDir` (made, with its parents,
 * when missing; merged into when it exists). Modes are kept (without setuid/setgid/sticky bits),
 * symlinks are put as symlinks, FIFOs, sockets and devices are left out (listed in `skipped`).
 * Owners: the sandbox user on the exec route, `owner` (default: the numeric `user`) on the archive route.
 * @throws FileNotFoundError / FileTypeError (local or container side), FilePermissionError.
 * @example
 * const { files, bytes } = await putDirectory(container, './src', 'project/src', { workdir: '/home/sandbox', user: '65534:65534' });
 */
export async function putDirectory(container: Dockerode.Container, localDir: string, containerDir: string, options: PutOptions = {}): Promise<TransferResult> {
  checkTransferOptions(options, PUT_OPTION_NAMES, 'putDirectory()');
  const local = hostPath(localDir, 'localDir');
  const stats = await stat(local).catch((error: unknown) => {
    throw hostError(local, error);
  });
  if (!stats.isDirectory()) throw new FileTypeError(local, 'host', 'directory', 'not a directory');
  const target = containerPath(containerDir, options.workdir, 'containerDir');
  const route = await routeFor(container, target, options);
  const result = emptyResult(target, route);

  if (route === 'exec') {
    const tar = packItems(walkLocal(local, '', result), undefined);
    await runPutScript(container, PUT_DIRECTORY, [target], options, tar, target, 'directory');
    return result;
  }
  const { dir, missing } = await extractionPoint(container, target, target);
  const items = parentItems(missing, stats.mode & 0o777);
  async function* all(): AsyncGenerator<PackItem> {
    yield* items;
    yield* walkLocal(local, missing.join('/'), result);
  }
  await putArchiveStream(container, dir, packItems(all(), archiveOwner(options)), target);
  return result;
}

/** Directory entries for the missing parents (0755; the last one `lastMode` when given). */
function parentItems(missing: string[], lastMode = 0o755): PackItem[] {
  return missing.map((_, i) => ({ type: 'directory', name: missing.slice(0, i + 1).join('/'), mode: i === missing.length - 1 ? lastMode : 0o755 }));
}

/**
 * The deepest existing directory at or above `dir` (archive route: Docker extracts only into an
 * existing directory) and the names of the missing ones below it, so what is put can carry them
 * with the right owner instead of Docker making them owned by root.
 */
async function extractionPoint(container: Dockerode.Container, dir: string, target: string): Promise<{ dir: string; missing: string[] }> {
  const missing: string[] = [];
  let current = dir;
  for (;;) {
    const found = await statPath(container, current);
    if (found) {
      if (!isDirectoryStat(found) && !isSymlinkStat(found))
        throw new FileTypeError(current === target ? target : current, 'container', 'directory', 'not a directory');
      return { dir: current, missing };
    }
    if (current === '/') return { dir: '/', missing };
    missing.unshift(posix.basename(current));
    current = posix.dirname(current);
  }
}
