/**
 * Options of the file transfers, their defaults and checks, and how a container path and a route
 * (Docker's archive API, or a `docker exec` as the sandbox user) are chosen.
 */
import { posix } from 'node:path';
import { InvalidArgumentError } from '../../errors.js';
import { checkChoice, checkOptionsObject, checkString } from '../../option-checks.js';
import { parseBytes } from '../sandbox-options.js';

/**
 * Default `maxBytes` of `getFile()` / `getFileStream()`: 256 MiB of file content.
 * @example
 * ```ts
 * const video = await runner.getFile('out.mp4', { maxBytes: DEFAULT_MAX_FILE_BYTES * 4 });
 * ```
 */
export const DEFAULT_MAX_FILE_BYTES = 256 * 1024 ** 2;
/**
 * Default `maxBytes` of `getDirectory()` and `extractArchive()`: 1 GiB of archive (content plus tar headers).
 * @example
 * ```ts
 * await runner.getDirectory('dataset', './dataset', { maxBytes: DEFAULT_MAX_DIRECTORY_BYTES * 8 });
 * ```
 */
export const DEFAULT_MAX_DIRECTORY_BYTES = 1024 ** 3;
/**
 * Default `maxEntries` of `getDirectory()` / `extractArchive()`.
 * @example
 * ```ts
 * await runner.getDirectory('node_modules', './node_modules', { maxEntries: DEFAULT_MAX_ENTRIES * 5 });
 * ```
 */
export const DEFAULT_MAX_ENTRIES = 100_000;

/** How the bytes travel. */
export type TransferRoute = 'archive' | 'exec';

/** Options every transfer takes. DockerRunner fills in `workdir`, `user` and `owner` from its sandbox. */
export interface FileAccessOptions {
  /** Directory that relative container paths resolve against. Default: `/`. */
  workdir?: string;
  /**
   * Who the transfer acts as in the container: `uid[:gid]` or a name. Default: `'root'`.
   * A non-root user is never given more than it has: see `via`.
   */
  user?: string;
  /**
   * `'auto'` (default): as a non-root `user`, a `docker exec` of sh/cat/tar run as that user, so the
   * kernel checks every access as it would for the sandbox's own commands; as root, Docker's archive
   * API. `'archive'`: Docker's archive API whatever `user` is; it reads and writes as root and
   * follows the container's symlinks as root, like `docker cp` (faster to put, trusted containers only).
   * `'exec'`: always the `docker exec`. Paths on a tmpfs mount always go through exec: Docker 20.10's
   * archive API does not see tmpfs mounts of a running container.
   */
  via?: 'auto' | TransferRoute;
}

/** What a host-side extraction does with an entry that is unsafe: fail (default) or leave it out. */
export type UnsafeEntryPolicy = 'error' | 'skip';

/** Options of `putFile()` and `putDirectory()`. */
export interface PutOptions extends FileAccessOptions {
  /**
   * Owner of what is put, on the archive route. Default: the numeric `user`, else root. On the exec
   * route what is put always belongs to `user`.
   */
  owner?: {
    /** Numeric user id. */
    uid: number;
    /** Numeric group id. */
    gid: number;
  };
  /** Mode of the file `putFile()` writes. Default: the local file's permission bits, or 0o644 for bytes. `putDirectory()` keeps the modes from disk. */
  mode?: number;
}

/** Options of `getFile()` and `getFileStream()`. */
export interface GetFileOptions extends FileAccessOptions {
  /** Most bytes of content to read, in bytes or as `'64m'`. Default: 256 MiB. */
  maxBytes?: number | string;
}

/** Limits of a host-side extraction. */
export interface ExtractLimits {
  /** Most bytes of archive to read (content and tar headers), in bytes or as `'1g'`. Default: 1 GiB. */
  maxBytes?: number | string;
  /** Most entries (files, directories, links, skipped ones too). Default: 100 000. */
  maxEntries?: number;
  /** Unsafe links and names: `'error'` (default) fails with `UnsafeArchiveError`, `'skip'` leaves them out. */
  onUnsafe?: UnsafeEntryPolicy;
}

/** Options of `getDirectory()`. */
export interface GetDirectoryOptions extends FileAccessOptions, ExtractLimits {}

/** An entry left out of a transfer, and why. */
export interface SkippedEntry {
  /** The entry's name in the archive (a path relative to the destination). */
  entry: string;
  /** Why it was left out, e.g. `is a FIFO or device`. */
  why: string;
}

/** What a transfer moved. */
export interface TransferResult {
  /** The container path, absolute. */
  path: string;
  /** How the bytes travelled. */
  via: TransferRoute;
  /** Bytes of file content. */
  bytes: number;
  /** Regular files written. */
  files: number;
  /** Directories made or merged into. */
  directories: number;
  /** Symbolic links made. */
  symlinks: number;
  /** Hard links made. */
  hardlinks: number;
  /** What was left out: FIFOs, devices and sockets; unsafe entries with `onUnsafe: 'skip'`. */
  skipped: SkippedEntry[];
}

/** An empty result to count into. */
export function emptyResult(path: string, via: TransferRoute): TransferResult {
  return { path, via, bytes: 0, files: 0, directories: 0, symlinks: 0, hardlinks: 0, skipped: [] };
}

/** `path` made absolute against `workdir` and normalized. */
export function containerPath(path: unknown, workdir: string | undefined, option = 'path'): string {
  if (typeof path !== 'string' || path.length === 0 || path.includes('\0')) {
    throw new InvalidArgumentError(option, 'a non-empty container path without NUL', path);
  }
  const base = workdir ?? '/';
  if (!base.startsWith('/')) throw new InvalidArgumentError('workdir', 'an absolute path', workdir);
  return posix.resolve(base, path);
}

/** A local path, checked. */
export function hostPath(path: unknown, option: string): string {
  if (typeof path !== 'string' || path.length === 0 || path.includes('\0')) {
    throw new InvalidArgumentError(option, 'a non-empty local path without NUL', path);
  }
  return path;
}

/** True when `user` is root in the container (`root`, `0`, `0:gid`, `root:group`). */
export function isRootUser(user: string | undefined): boolean {
  return user === undefined || /^(root|0)(:.*)?$/.test(user);
}

/** The route a transfer takes before tmpfs is considered: see `FileAccessOptions.via`. */
export function preferredRoute(options: FileAccessOptions): TransferRoute {
  const via = options.via ?? 'auto';
  if (via !== 'auto' && via !== 'archive' && via !== 'exec') throw new InvalidArgumentError('via', "'auto', 'archive' or 'exec'", via);
  if (via !== 'auto') return via;
  return isRootUser(options.user) ? 'archive' : 'exec';
}

/** The owner headers of the archive route: `owner`, else the numeric `user`, else root. */
export function archiveOwner(options: PutOptions): { uid: number; gid: number } {
  const owner = options.owner;
  if (owner !== undefined) {
    const ok = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n) && n >= 0;
    if (typeof owner !== 'object' || owner === null || !ok(owner.uid) || !ok(owner.gid)) {
      throw new InvalidArgumentError('owner', 'an object { uid, gid } of non-negative whole numbers', owner);
    }
    return { uid: owner.uid, gid: owner.gid };
  }
  const match = /^(\d+)(?::(\d+))?$/.exec(options.user ?? '');
  return match ? { uid: Number(match[1]), gid: Number(match[2] ?? match[1]) } : { uid: 0, gid: 0 };
}

/** A byte limit option, checked; `fallback` when absent. */
export function byteLimit(value: number | string | undefined, fallback: number): number {
  return value === undefined ? fallback : parseBytes(value, 'maxBytes');
}

/** An entry limit option, checked. */
export function entryLimit(value: number | undefined): number {
  if (value === undefined) return DEFAULT_MAX_ENTRIES;
  if (Number.isInteger(value) && value > 0) return value;
  throw new InvalidArgumentError('maxEntries', 'a positive whole number', value);
}

/** The unsafe-entry policy, checked. */
export function unsafePolicy(value: UnsafeEntryPolicy | undefined): UnsafeEntryPolicy {
  if (value === undefined || value === 'error' || value === 'skip') return value ?? 'error';
  throw new InvalidArgumentError('onUnsafe', "'error' or 'skip'", value);
}

/**
 * Options of `putFile()` / `putDirectory()`, of `getFile()` / `getFileStream()`, of `getDirectory()`
 * and of `extractArchive()`. Gets take `owner` too, unused: one object of access options
 * (`{ workdir, user, owner }`, as DockerRunner keeps) serves puts and gets alike.
 */
export const PUT_OPTION_NAMES: readonly string[] = ['workdir', 'user', 'via', 'owner', 'mode'];
export const GET_FILE_OPTION_NAMES: readonly string[] = ['workdir', 'user', 'via', 'owner', 'maxBytes'];
export const GET_DIRECTORY_OPTION_NAMES: readonly string[] = ['workdir', 'user', 'via', 'owner', 'maxBytes', 'maxEntries', 'onUnsafe'];
export const EXTRACT_OPTION_NAMES: readonly string[] = ['maxBytes', 'maxEntries', 'onUnsafe', 'path'];

/**
 * A transfer's options, checked at the door: an object with only the `known` keys of `owner` (the
 * function, for the message), each value given of the right type. Some are only read on one
 * route (`owner` on the archive route): a wrong one must not wait for that route to be taken.
 */
export function checkTransferOptions(options: unknown, known: readonly string[], owner: string): void {
  checkOptionsObject(options, known, owner);
  const given = options as Record<string, unknown>;
  if (given.workdir !== undefined && !(typeof given.workdir === 'string' && given.workdir.startsWith('/'))) {
    throw new InvalidArgumentError('workdir', 'an absolute container path', given.workdir);
  }
  checkString(given.user, 'user', 'a user name or uid[:gid]');
  checkChoice(given.via, 'via', ['auto', 'archive', 'exec']);
  if (given.owner !== undefined) archiveOwner({ owner: given.owner as PutOptions['owner'] });
  fileMode(given.mode as number | undefined, 0);
  byteLimit(given.maxBytes as number | string | undefined, 0);
  entryLimit(given.maxEntries as number | undefined);
  unsafePolicy(given.onUnsafe as UnsafeEntryPolicy | undefined);
  checkString(given.path, 'path', 'a name for the archive in messages, e.g. its container path');
}

/** A file mode option, checked. */
export function fileMode(value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (Number.isInteger(value) && value >= 0 && value <= 0o7777) return value;
  throw new InvalidArgumentError('mode', 'a file mode from 0 to 0o7777', value);
}
