/**
 * Extraction on the host of a tar stream that came out of a hostile container.
 */
import { chmod, link, lstat, rm, symlink, utimes } from 'node:fs/promises';
import { sep } from 'node:path';
import type { Readable } from 'node:stream';
import tar, { type Header } from 'tar-stream';
import { ArchiveLimitError, DockerShellError, FileTransferError, InvalidArgumentError, UnsafeArchiveError } from '../../errors.js';
import { hostError, isFsError } from './host-errors.js';
import { entryParts, unsafeSymlinkTarget } from './entry-names.js';
import { HostTree, UnsafePathError } from './host-tree.js';
import { feedParser } from './tar-feed.js';
import {
  DEFAULT_MAX_DIRECTORY_BYTES,
  EXTRACT_OPTION_NAMES,
  byteLimit,
  checkTransferOptions,
  entryLimit,
  hostPath,
  unsafePolicy,
  type ExtractLimits,
  type TransferResult,
} from './options.js';

/** An entry as the parser hands it over: its header and its content. */
type Entry = AsyncIterable<Buffer> & { header: Header };

/** Options of `extractArchive()`. */
export interface ExtractOptions extends ExtractLimits {
  /** What the archive is, for messages and errors (e.g. the container path). Default: `'the archive'`. */
  path?: string;
}

/** What an extraction wrote. */
export type ExtractResult = Omit<TransferResult, 'path' | 'via'>;

/**
 * Extracts a tar stream into `destDir` (made when missing), treating the archive as hostile:
 * - absolute names and names with a `..` component are refused;
 * - symlinks must point inside `destDir` (see `unsafeSymlinkTarget`); hard links only to a file
 *   this archive already wrote; nothing is ever written through a symlink (every directory
 *   component is checked with lstat, files are opened with O_EXCL | O_NOFOLLOW);
 * - FIFOs, devices and other special entries are skipped and listed in `skipped`;
 * - modes are kept without setuid/setgid/sticky bits; owners are not (files belong to this process);
 * - reading stops (the stream is destroyed) past `maxBytes` of archive or `maxEntries` entries.
 * Unsafe entries fail with `UnsafeArchiveError` (or are skipped with `onUnsafe: 'skip'`). On any
 * failure a `destDir` this call made is removed again; an existing one keeps what was written.
 * @example
 * const result = await extractArchive(await getFileStream(container, 'out.tar'), './out', { maxBytes: '64m' });
 * // result.files, result.skipped
 */
export async function extractArchive(archive: Readable, destDir: string, options: ExtractOptions = {}): Promise<ExtractResult> {
  checkTransferOptions(options, EXTRACT_OPTION_NAMES, 'extractArchive()');
  hostPath(destDir, 'destDir');
  if (typeof (archive as Partial<Readable> | null)?.pipe !== 'function')
    throw new InvalidArgumentError('archive', 'a readable stream of a tar archive', archive);
  const maxBytes = byteLimit(options.maxBytes, DEFAULT_MAX_DIRECTORY_BYTES);
  const maxEntries = entryLimit(options.maxEntries);
  const policy = unsafePolicy(options.onUnsafe);
  const label = options.path ?? 'the archive';
  const { tree, created } = await HostTree.open(destDir).catch((error: unknown) => {
    archive.destroy();
    throw hostError(destDir, error);
  });
  const result: ExtractResult = { bytes: 0, files: 0, directories: 0, symlinks: 0, hardlinks: 0, skipped: [] };
  const files = new Set<string>();
  const directories: { path: string; mode: number; mtime: Date | undefined }[] = [];
  const extract = tar.extract();
  let failure: unknown;
  const fail = (error: unknown): void => {
    failure ??= error;
    archive.destroy();
    extract.destroy();
  };

  let total = 0;
  const feeding = feedParser(archive, extract, (bytes) => {
    total += bytes;
    if (total > maxBytes) throw new ArchiveLimitError(label, 'bytes', maxBytes, maxEntries);
  }).then((error) => {
    if (error === undefined || error instanceof DockerShellError) return error === undefined ? undefined : fail(error);
    fail(new FileTransferError(label, `reading the archive failed (${(error as Error)?.message ?? String(error)})`, { cause: error }));
  });
  // The parser's own error explains the "stream destroyed" an entry's reader sees.
  let parserError: Error | undefined;
  extract.on('error', (error: Error) => {
    parserError ??= error;
  });

  const unsafe = async (entry: Entry, why: string): Promise<void> => {
    if (policy === 'error') throw new UnsafeArchiveError(label, entry.header.name, why);
    result.skipped.push({ entry: entry.header.name, why });
    await drain(entry);
  };

  const handle = async (entry: Entry): Promise<void> => {
    const { header } = entry;
    const name = entryParts(header.name);
    if ('unsafe' in name) return unsafe(entry, name.unsafe);
    const parts = name.parts;
    const key = parts.join('/');
    if (parts.length === 0 && header.type !== 'directory') return unsafe(entry, 'is not a directory but names the destination itself');
    switch (header.type) {
      case 'directory': {
        if (parts.length > 0) {
          directories.push({ path: await tree.directory(parts), mode: (header.mode ?? 0o755) & 0o777, mtime: header.mtime });
          files.delete(key);
          result.directories += 1;
        }
        return drain(entry);
      }
      case 'file':
      case 'contiguous-file': {
        const file = await tree.createFile(parts, 0o600);
        try {
          for await (const chunk of entry as AsyncIterable<Buffer>) {
            await file.write(chunk);
            result.bytes += chunk.length;
          }
          await file.chmod((header.mode ?? 0o644) & 0o777);
          if (header.mtime) await file.utimes(header.mtime, header.mtime);
        } finally {
          await file.close();
        }
        files.add(key);
        result.files += 1;
        return;
      }
      case 'symlink': {
        const why = unsafeSymlinkTarget(parts, header.linkname ?? '');
        if (why) return unsafe(entry, why);
        await symlink(header.linkname as string, await tree.clear(parts));
        files.delete(key);
        result.symlinks += 1;
        return drain(entry);
      }
      case 'link': {
        const target = entryParts(header.linkname ?? '');
        if ('unsafe' in target) return unsafe(entry, `is a hard link to ${JSON.stringify(header.linkname)}, which ${target.unsafe}`);
        await tree.parents(target.parts);
        const stats = await tree.stat(target.parts);
        if (!files.has(target.parts.join('/')) || !stats?.isFile()) {
          return unsafe(entry, `is a hard link to ${JSON.stringify(header.linkname)}, which is not a file this archive wrote`);
        }
        await link(tree.resolve(target.parts), await tree.clear(parts));
        files.add(key);
        result.hardlinks += 1;
        return drain(entry);
      }
      default:
        result.skipped.push({ entry: header.name, why: `is a ${header.type}, which is never extracted` });
        return drain(entry);
    }
  };

  let entries = 0;
  try {
    for await (const entry of extract as AsyncIterable<Entry>) {
      entries += 1;
      if (entries > maxEntries) throw new ArchiveLimitError(label, 'entries', maxBytes, maxEntries);
      try {
        await handle(entry);
      } catch (error) {
        // Refused by the tree before any content was read: the policy decides, as for names.
        if (!(error instanceof UnsafePathError)) throw error;
        await unsafe(entry, error.message);
      }
      if (failure !== undefined) break;
    }
  } catch (error) {
    fail(error);
  }
  await feeding;
  if (failure === undefined) {
    try {
      // Deepest first, so a directory without search permission does not stop its children's
      // chmod; only what is still a real directory (a later entry may have replaced it with a symlink,
      // and chmod follows symlinks).
      for (const dir of directories.sort((a, b) => b.path.split(sep).length - a.path.split(sep).length)) {
        if (!(await lstat(dir.path).catch(() => undefined))?.isDirectory()) continue;
        await chmod(dir.path, dir.mode);
        if (dir.mtime) await utimes(dir.path, dir.mtime, dir.mtime);
      }
    } catch (error) {
      failure = error;
    }
  }
  if (failure !== undefined) {
    if (created) await rm(tree.root, { recursive: true, force: true }).catch(() => {});
    throw extractionError(label, destDir, failure, parserError);
  }
  return result;
}

async function drain(entry: AsyncIterable<unknown>): Promise<void> {
  for await (const _chunk of entry) {
    // Skipped content still has to be read past (it counts against maxBytes).
  }
}

/** A failure as the caller should see it: ours as they are, the host's typed, the parser's as a malformed archive. */
function extractionError(label: string, destDir: string, error: unknown, parserError: Error | undefined): Error {
  if (error instanceof DockerShellError || error instanceof TypeError) return error;
  if (isFsError(error)) return hostError(destDir, error);
  const cause = parserError ?? (error as Error);
  return new UnsafeArchiveError(label, '', `is not a well-formed tar archive (${cause?.message ?? String(cause)})`, { cause });
}
