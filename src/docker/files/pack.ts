/**
 * Tar streams of what is put into the container, made with tar-stream from bytes or local files:
 * entries are produced one at a time, so a large directory is never held in memory.
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import tar, { type Header } from 'tar-stream';
import { FileTypeError } from '../../errors.js';
import { hostError } from './host-errors.js';
import type { TransferResult } from './options.js';

/** One entry to put. Names are relative to where the archive is extracted. */
export type PackItem =
  | { type: 'directory'; name: string; mode: number; mtime?: Date }
  | { type: 'bytes'; name: string; mode: number; data: Uint8Array; mtime?: Date }
  | { type: 'local-file'; name: string; mode: number; path: string; size: number; mtime: Date }
  | { type: 'symlink'; name: string; target: string; mtime: Date };

/** A local regular file, as put: its size, its permission bits and its mtime. */
export interface LocalFile {
  path: string;
  size: number;
  mode: number;
  mtime: Date;
}

/** Stats a local file to put (following a symlink the caller named); it must be a regular file. */
export async function localFile(path: string): Promise<LocalFile> {
  const stats = await stat(path).catch((error: unknown) => {
    throw hostError(path, error);
  });
  if (!stats.isFile()) throw new FileTypeError(path, 'host', 'file', stats.isDirectory() ? 'a directory' : 'a FIFO, socket or device');
  return { path, size: stats.size, mode: stats.mode & 0o777, mtime: stats.mtime };
}

/**
 * The tar stream of `items`, with `owner` in every header (root when undefined). The stream errors
 * (with the item's typed error) when a local file cannot be read.
 */
export function packItems(items: AsyncIterable<PackItem> | Iterable<PackItem>, owner: { uid: number; gid: number } | undefined): Readable {
  const pack = tar.pack();
  const ids = { uid: owner?.uid ?? 0, gid: owner?.gid ?? 0 };
  void (async () => {
    try {
      for await (const item of items) {
        if (pack.destroyed) return;
        await addItem(pack, item, ids);
      }
      pack.finalize();
    } catch (error) {
      pack.destroy(error as Error);
    }
  })();
  return pack as unknown as Readable;
}

async function addItem(pack: tar.Pack, item: PackItem, ids: { uid: number; gid: number }): Promise<void> {
  const base = { name: item.name, ...ids, ...(item.mtime ? { mtime: item.mtime } : {}) };
  switch (item.type) {
    case 'directory':
      return entryDone(pack, { ...base, type: 'directory', mode: item.mode });
    case 'symlink':
      return entryDone(pack, { ...base, type: 'symlink', linkname: item.target, mode: 0o777 });
    case 'bytes':
      return entryDone(pack, { ...base, type: 'file', mode: item.mode, size: item.data.byteLength }, item.data);
    case 'local-file': {
      let failure: unknown;
      const done = new Promise<void>((resolve, reject) => {
        const sink = pack.entry({ ...base, type: 'file', mode: item.mode, size: item.size }, (error) => (error ? reject(error) : resolve()));
        const source = createReadStream(item.path);
        source.once('error', (error) => {
          failure = hostError(item.path, error);
          reject(failure);
        });
        source.pipe(sink as unknown as NodeJS.WritableStream);
      });
      await done.catch((error: unknown) => {
        throw failure ?? error;
      });
    }
  }
}

function entryDone(pack: tar.Pack, header: Partial<Header> & { name: string }, data?: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const callback = (error?: Error | null): void => (error ? reject(error) : resolve());
    if (data) pack.entry(header, data, callback);
    else pack.entry(header, callback);
  });
}

/**
 * The entries of local directory `root` (not `root` itself), parents before children, each name
 * prefixed with `prefix`. Counts into `result`; FIFOs, sockets and devices go to `result.skipped`.
 * Symlinks are put as symlinks, their targets as they are.
 */
export async function* walkLocal(root: string, prefix: string, result: TransferResult): AsyncGenerator<PackItem> {
  const names = await readdir(root).catch((error: unknown) => {
    throw hostError(root, error);
  });
  for (const name of names.sort()) {
    const path = join(root, name);
    const entryName = prefix === '' ? name : `${prefix}/${name}`;
    const stats = await lstat(path).catch((error: unknown) => {
      throw hostError(path, error);
    });
    if (stats.isDirectory()) {
      result.directories += 1;
      yield { type: 'directory', name: entryName, mode: stats.mode & 0o777, mtime: stats.mtime };
      yield* walkLocal(path, entryName, result);
    } else if (stats.isFile()) {
      result.files += 1;
      result.bytes += stats.size;
      yield { type: 'local-file', name: entryName, mode: stats.mode & 0o777, path, size: stats.size, mtime: stats.mtime };
    } else if (stats.isSymbolicLink()) {
      result.symlinks += 1;
      yield { type: 'symlink', name: entryName, target: await readlink(path), mtime: stats.mtime };
    } else {
      result.skipped.push({ entry: entryName, why: 'is a FIFO, socket or device on the host, which is never put' });
    }
  }
}
