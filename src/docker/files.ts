/**
 * Files in and out of the sandbox: `putFile`, `putDirectory`, `getFile`, `getFileStream`,
 * `getDirectory`, and the hostile-archive extractor they use, `extractArchive`.
 *
 * Every function takes the container first; DockerRunner passes its own with its sandbox's
 * `workdir`, `user` and `owner`. Two routes carry the bytes (see `FileAccessOptions.via`):
 * - exec (default for a non-root user): a `docker exec` of sh/cat/tar running as the sandbox user,
 *   so a transfer can do exactly what the sandbox's own commands can, and no more: a symlink planted
 *   by a command cannot make a put write into /etc or a get read /etc/shadow;
 * - archive (default as root, or `via: 'archive'`): Docker's archive API, which acts as root, like
 *   `docker cp`. Docker 20.10 does not see tmpfs mounts through it, so tmpfs paths (a read-only
 *   sandbox's /tmp and workdir) always take the exec route.
 * Either way, what comes out of the container is parsed with tar-stream as hostile input: bounded in
 * bytes and entries, and never written outside the destination.
 *
 * @example
 * const options = { workdir: '/home/sandbox', user: '65534:65534', owner: { uid: 65534, gid: 65534 } };
 * await putFile(container, 'in.txt', Buffer.from('hello\n'), options);
 * await putDirectory(container, './project', 'project', options);
 * const bytes = await getFile(container, 'project/out.bin', options);
 * await getDirectory(container, 'project/dist', './dist', options);
 */
export { putDirectory, putFile } from './files/put.js';
export { getDirectory, getFile, getFileStream } from './files/get.js';
export { extractArchive, type ExtractOptions, type ExtractResult } from './files/extract.js';
export {
  DEFAULT_MAX_DIRECTORY_BYTES,
  DEFAULT_MAX_ENTRIES,
  DEFAULT_MAX_FILE_BYTES,
  type ExtractLimits,
  type FileAccessOptions,
  type GetDirectoryOptions,
  type GetFileOptions,
  type PutOptions,
  type SkippedEntry,
  type TransferResult,
  type TransferRoute,
  type UnsafeEntryPolicy,
} from './files/options.js';
