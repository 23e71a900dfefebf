/**
 * Writing into a destination directory on the host without ever following a symlink: every
 * directory component is checked with lstat (or was made by us), and the last component is
 * replaced rather than written through. Other processes on the host racing us are out of scope.
 */
import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open, realpath, rmdir, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** Thrown when a path inside the destination cannot be used safely; the extractor adds the entry name. */
export class UnsafePathError extends Error {}

const WRITE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** A destination directory, written into component by component. */
export class HostTree {
  /** Real path of the destination. */
  readonly root: string;
  /** Directories (relative, `/`-joined) known to be real directories, checked or made by us. */
  readonly #directories = new Set<string>(['']);

  private constructor(root: string) {
    this.root = root;
  }

  /** Opens `dest`, making it (and its parents) when missing. `created` says whether it was made. */
  static async open(dest: string): Promise<{ tree: HostTree; created: boolean }> {
    const before = await lstatOrUndefined(dest);
    if (!before) await mkdir(dest, { recursive: true, mode: 0o755 });
    // The caller's own path may go through symlinks it chose; everything below it may not.
    const root = await realpath(dest);
    const stats = await lstat(root);
    if (!stats.isDirectory()) throw Object.assign(new Error(`not a directory: ${dest}`), { code: 'ENOTDIR' });
    return { tree: new HostTree(root), created: !before };
  }

  /** Absolute host path of `parts`. */
  resolve(parts: string[]): string {
    return join(this.root, ...parts);
  }

  /**
   * Makes sure every parent of `parts` is a real directory: missing ones are made (mode 0755 less
   * the umask, as tar does); a symlink or a file in the way is refused.
   */
  async parents(parts: string[]): Promise<void> {
    for (let i = 1; i < parts.length; i += 1) {
      const key = parts.slice(0, i).join('/');
      if (this.#directories.has(key)) continue;
      const path = this.resolve(parts.slice(0, i));
      const stats = await lstatOrUndefined(path);
      if (!stats) await mkdir(path, { mode: 0o755 });
      else if (stats.isSymbolicLink()) throw new UnsafePathError(`would be written through the symlink ${key}`);
      else if (!stats.isDirectory()) throw new UnsafePathError(`would be written below ${key}, which is not a directory`);
      this.#directories.add(key);
    }
  }

  /** Makes `parts` a directory (keeping one that is there), after its parents. */
  async directory(parts: string[]): Promise<string> {
    await this.parents(parts);
    const path = this.resolve(parts);
    const stats = await lstatOrUndefined(path);
    if (stats && !stats.isDirectory()) await unlink(path);
    if (!stats || !stats.isDirectory()) await mkdir(path, { mode: 0o700 });
    this.#directories.add(parts.join('/'));
    return path;
  }

  /**
   * Clears the place of a non-directory entry at `parts`: a file or symlink there is removed (never
   * followed), an empty directory too; a non-empty directory is refused.
   */
  async clear(parts: string[]): Promise<string> {
    await this.parents(parts);
    const path = this.resolve(parts);
    const stats = await lstatOrUndefined(path);
    if (stats?.isDirectory()) {
      await rmdir(path).catch(() => {
        throw new UnsafePathError('would replace a directory that is not empty');
      });
      this.#directories.delete(parts.join('/'));
    } else if (stats) {
      await unlink(path);
    }
    return path;
  }

  /** Creates a new file at `parts` (O_EXCL | O_NOFOLLOW: nothing there is ever written through). */
  async createFile(parts: string[], mode: number): Promise<FileHandle> {
    const path = await this.clear(parts);
    return open(path, WRITE_FLAGS, mode);
  }

  /** The lstat of `parts`, or undefined when nothing is there. */
  stat(parts: string[]): Promise<Stats | undefined> {
    return lstatOrUndefined(this.resolve(parts));
  }
}
