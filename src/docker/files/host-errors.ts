/**
 * Errors of the host's file system (reading what is put, writing what is got), typed and naming the path.
 */
import { DockerShellError, FileNotFoundError, FilePermissionError, FileTransferError, FileTypeError } from '../../errors.js';

/** True for an error of Node's file system calls (they carry the system call that failed). */
export function isFsError(error: unknown): error is NodeJS.ErrnoException {
  return typeof (error as NodeJS.ErrnoException | null)?.syscall === 'string';
}

/** A host file system error, typed and naming the path. */
export function hostError(path: string, error: unknown): Error {
  const errno = error as NodeJS.ErrnoException;
  const where = errno.path ?? path;
  switch (errno.code) {
    case 'ENOENT':
      return new FileNotFoundError(where, 'host', { cause: error });
    case 'EACCES':
    case 'EPERM':
      return new FilePermissionError(where, 'host', errno.message, false, { cause: error });
    case 'EROFS':
      return new FilePermissionError(where, 'host', errno.message, true, { cause: error });
    case 'ENOTDIR':
    case 'EEXIST':
      return new FileTypeError(where, 'host', 'directory', 'not a directory (or has a parent that is not)', { cause: error });
  }
  if (error instanceof DockerShellError) return error;
  return new FileTransferError(where, errno.message ?? String(error), { cause: error });
}
