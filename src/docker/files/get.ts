/**
 * Reading files and directories out of the container, bounded: nothing a hostile container sends
 * is buffered or written past the limits.
 */
import { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import tar, { type Header } from 'tar-stream';
import { ArchiveLimitError, FileTransferError, FileTypeError } from '../../errors.js';
import { getArchiveStream, isDirectoryStat, isSpecialStat, isSymlinkStat, type PathStat } from './archive-api.js';
import { GET_DIRECTORY, GET_FILE, execFailure } from './exec-scripts.js';
import { readStatusLine, type ExecProcess } from './exec-process.js';
import { extractArchive } from './extract.js';
import {
  DEFAULT_MAX_DIRECTORY_BYTES,
  DEFAULT_MAX_FILE_BYTES,
  GET_DIRECTORY_OPTION_NAMES,
  GET_FILE_OPTION_NAMES,
  byteLimit,
  checkTransferOptions,
  containerPath,
  hostPath,
  type GetDirectoryOptions,
  type GetFileOptions,
  type TransferResult,
} from './options.js';
import { routeFor, startScript } from './route.js';
import { feedParser } from './tar-feed.js';

/**
 * A readable of a container file's bytes. Rejects before any byte with `FileNotFoundError`,
 * `FilePermissionError` (on the default exec route: the sandbox user may not read it) or
 * `FileTypeError` (a directory, FIFO or device); with `ArchiveLimitError` at once when the file is
 * known to be larger than `maxBytes` (default 256 MiB). The stream errors with `ArchiveLimitError`
 * if more than `maxBytes` arrive anyway (a growing file). Read it to the end or destroy it: until
 * then the transfer holds a connection and a process in the container.
 * @example
 * const stream = await getFileStream(container, 'out.log', { workdir: '/home/sandbox', user: '65534:65534' });
 * stream.pipe(createWriteStream('out.log'));
 */
export async function getFileStream(container: Dockerode.Container, path: string, options: GetFileOptions = {}): Promise<Readable> {
  checkTransferOptions(options, GET_FILE_OPTION_NAMES, 'getFile() / getFileStream()');
  const target = containerPath(path, options.workdir);
  const maxBytes = byteLimit(options.maxBytes, DEFAULT_MAX_FILE_BYTES);
  const route = await routeFor(container, target, options);
  const content = route === 'exec' ? await execFileContent(container, target, options, maxBytes) : await archiveFileContent(container, target, maxBytes);
  return Readable.from(content, { objectMode: false });
}

/**
 * A container file's bytes (at most `maxBytes`, default 256 MiB). Errors as `getFileStream()`.
 * @example
 * const bytes = await getFile(container, '/home/sandbox/thumbnail.jpg', { user: '65534:65534' });
 */
export async function getFile(container: Dockerode.Container, path: string, options: GetFileOptions = {}): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await getFileStream(container, path, options)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Copies the contents of `containerDir` into local directory `localDir` (made when missing) with
 * `extractArchive()`: never outside `localDir`, never through a symlink, no links leading out, no
 * FIFOs or devices, at most `maxBytes` of archive (default 1 GiB) and `maxEntries` entries (default
 * 100 000). When it fails, a `localDir` it made is removed.
 * @throws FileNotFoundError, FilePermissionError, FileTypeError, ArchiveLimitError, UnsafeArchiveError
 * @example
 * const result = await getDirectory(container, 'out', './out', { workdir: '/home/sandbox', user: '65534:65534' });
 * // result.files, result.bytes, result.skipped
 */
export async function getDirectory(
  container: Dockerode.Container,
  containerDir: string,
  localDir: string,
  options: GetDirectoryOptions = {},
): Promise<TransferResult> {
  checkTransferOptions(options, GET_DIRECTORY_OPTION_NAMES, 'getDirectory()');
  const target = containerPath(containerDir, options.workdir, 'containerDir');
  const dest = hostPath(localDir, 'localDir');
  const maxBytes = byteLimit(options.maxBytes, DEFAULT_MAX_DIRECTORY_BYTES);
  const route = await routeFor(container, target, options);
  let archive: Readable;
  if (route === 'exec') {
    const process = await startScript(container, GET_DIRECTORY, [target], options.user, 'hold');
    archive = Readable.from(await checkedOutput(process, target, 'directory', 'ok', [0, 1]), { objectMode: false });
  } else {
    const { stream, stat } = await getArchiveStream(container, target === '/' ? '/.' : `${target}/.`, target);
    if (stat && !isDirectoryStat(stat)) {
      stream.destroy();
      throw new FileTypeError(target, 'container', 'directory', 'not a directory');
    }
    archive = stream;
  }
  const counts = await extractArchive(archive, dest, { maxBytes, maxEntries: options.maxEntries, onUnsafe: options.onUnsafe, path: target });
  return { path: target, via: route, ...counts };
}

/** Exec route: the script checks the file and announces its size; the content follows. */
async function execFileContent(container: Dockerode.Container, target: string, options: GetFileOptions, maxBytes: number): Promise<AsyncIterable<Buffer>> {
  const process = await startScript(container, GET_FILE, [target], options.user, 'hold');
  return checkedOutput(
    process,
    target,
    'file',
    'ok ',
    [0],
    (status) => {
      const size = Number(status.slice(3));
      if (Number.isFinite(size) && size > maxBytes) throw new ArchiveLimitError(target, 'bytes', maxBytes);
    },
    maxBytes,
  );
}

/**
 * The output of a get script after its status line, ending with an error unless the script exits
 * with one of `okCodes`. Rejects when the status line does not come (the script's typed error).
 */
async function checkedOutput(
  process: ExecProcess,
  target: string,
  expected: 'file' | 'directory',
  statusPrefix: string,
  okCodes: number[],
  checkStatus?: (status: string) => void,
  maxBytes = Infinity,
): Promise<AsyncIterable<Buffer>> {
  const status = await readStatusLine(process.stdout);
  if (status === undefined || !status.startsWith(statusPrefix)) {
    process.destroy();
    const { exitCode, stderr } = await process.exited;
    throw exitCode === 0 ? new FileTransferError(target, 'the container answered without a status line') : execFailure(target, exitCode, stderr, expected);
  }
  try {
    checkStatus?.(status);
  } catch (error) {
    process.destroy();
    throw error;
  }
  return (async function* () {
    let bytes = 0;
    try {
      for await (const chunk of process.stdout as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        if (bytes > maxBytes) throw new ArchiveLimitError(target, 'bytes', maxBytes);
        yield chunk;
      }
      const { exitCode, stderr } = await process.exited;
      if (exitCode === null || !okCodes.includes(exitCode)) throw execFailure(target, exitCode, stderr, expected);
    } finally {
      process.destroy();
    }
  })();
}

/** Archive route: one tar entry, its header checked, its content counted. A symlink is followed once, as `docker cp -L` does. */
async function archiveFileContent(container: Dockerode.Container, target: string, maxBytes: number): Promise<AsyncIterable<Buffer>> {
  let { stream, stat } = await getArchiveStream(container, target);
  if (stat && isSymlinkStat(stat) && stat.linkTarget !== '') {
    stream.destroy();
    ({ stream, stat } = await getArchiveStream(container, stat.linkTarget, target));
  }
  try {
    if (stat) checkFileStat(target, stat, maxBytes);
  } catch (error) {
    stream.destroy();
    throw error;
  }
  return firstEntryContent(stream, target, maxBytes);
}

function checkFileStat(target: string, stat: PathStat | Header, maxBytes: number): void {
  const kind = 'type' in stat ? stat.type : isDirectoryStat(stat) ? 'directory' : isSymlinkStat(stat) ? 'symlink' : isSpecialStat(stat) ? 'fifo' : 'file';
  if (kind === 'directory') throw new FileTypeError(target, 'container', 'file', 'a directory');
  if (kind === 'symlink' || kind === 'link') throw new FileTypeError(target, 'container', 'file', 'a symlink whose target changed while it was read');
  if (kind !== 'file' && kind !== 'contiguous-file') throw new FileTypeError(target, 'container', 'file', 'a FIFO, socket or device');
  if ((stat.size ?? 0) > maxBytes) throw new ArchiveLimitError(target, 'bytes', maxBytes);
}

async function* firstEntryContent(stream: Readable, target: string, maxBytes: number): AsyncGenerator<Buffer> {
  const extract = tar.extract();
  const feeding = feedParser(stream, extract);
  try {
    const first = await extract[Symbol.asyncIterator]().next();
    if (first.done) throw new FileTransferError(target, 'Docker sent an empty archive');
    const entry = first.value;
    checkFileStat(target, entry.header, maxBytes);
    let bytes = 0;
    for await (const chunk of entry as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > maxBytes) throw new ArchiveLimitError(target, 'bytes', maxBytes);
      yield chunk;
    }
  } finally {
    stream.destroy();
    extract.destroy();
    await feeding;
  }
}
