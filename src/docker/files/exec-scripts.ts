/**
 * The programs the exec route runs as the sandbox user: POSIX sh with coreutils (cat, mkdir, mv,
 * chmod, rm, wc) and tar for directories. Paths travel as arguments, never inside the script text.
 * A failure is told by a distinct exit code or by the system's message on stderr (LC_ALL=C), which
 * `execFailure()` turns into a typed error.
 */
import { FileNotFoundError, FilePermissionError, FileTransferError, FileTypeError } from '../../errors.js';

/** Exit codes of the scripts' own checks. */
const IS_DIRECTORY = 90;
const NOT_DIRECTORY = 91;
const NOT_REGULAR = 92;
const SHORT_WRITE = 93;

/**
 * The start of the get scripts, run with stdin attached and held open by the host. When the host
 * goes away (a limit hit, the stream destroyed), Docker closes that stdin but not the stdout pipe,
 * so a writer would block on it for ever (a leaked process, counting against the pids limit). This
 * watcher then kills the script, which has `exec`ed into cat or tar by then, keeping its pid.
 */
const WATCHER = `exec 4<&0 </dev/null
( cat <&4 >/dev/null 2>&1; kill -9 $$ 2>/dev/null ) >/dev/null 2>&1 &
exec 4<&-`;

/** `sh -c GET_FILE sh <path>`: prints `ok <size>\n`, then the file's bytes. */
export const GET_FILE = `${WATCHER}
p=$1
[ -d "$p" ] && exit ${IS_DIRECTORY}
[ -e "$p" ] && [ ! -f "$p" ] && exit ${NOT_REGULAR}
exec 3<"$p" || exit 1
s=$(wc -c <"$p") || exit 1
printf 'ok %s\\n' "$s"
exec cat <&3`;

/** `sh -c GET_DIRECTORY sh <dir>`: prints `ok\n`, then a tar of the directory's contents (`./...`). */
export const GET_DIRECTORY = `${WATCHER}
d=$1
if [ ! -d "$d" ]; then
  [ -e "$d" ] && exit ${NOT_DIRECTORY}
  exec 3<"$d"
  exit 1
fi
printf 'ok\\n'
exec tar -c -f - -C "$d" .`;

/**
 * \`sh -c PUT_FILE sh <path> <octal mode> <size>\`: makes the missing parents, writes stdin to a
 * temporary file beside the target, checks its size, sets its mode and renames it into place.
 */
export const PUT_FILE = `p=$1 m=$2 n=$3
case $p in */*) d=\${p%/*} ;; *) d=. ;; esac
[ -n "$d" ] || d=/
[ -d "$p" ] && exit ${IS_DIRECTORY}
mkdir -p -- "$d" || exit 1
t="$d/.docker-shell-put.$$"
cat >"$t" || { rm -f -- "$t"; exit 1; }
s=$(wc -c <"$t")
if [ "$s" -ne "$n" ]; then rm -f -- "$t"; echo "received $s of $n bytes" >&2; exit ${SHORT_WRITE}; fi
chmod "$m" -- "$t" && mv -f -- "$t" "$p" || { rm -f -- "$t"; exit 1; }`;

/** `sh -c PUT_DIRECTORY sh <dir>`: makes the directory and its parents, and extracts the tar on stdin into it. */
export const PUT_DIRECTORY = `d=$1
[ -e "$d" ] && [ ! -d "$d" ] && exit ${NOT_DIRECTORY}
mkdir -p -- "$d" || exit 1
cd -- "$d" || exit 1
exec tar -x -p --no-same-owner -f -`;

/** The typed error for a failed script: its exit code first, then the system's message. */
export function execFailure(path: string, exitCode: number | null, stderr: string, expected: 'file' | 'directory'): Error {
  const message = stderr.trim().split('\n').slice(-3).join('; ') || `exit code ${exitCode ?? 'unknown'}`;
  switch (exitCode) {
    case IS_DIRECTORY:
      return new FileTypeError(path, 'container', 'file', 'a directory');
    case NOT_DIRECTORY:
      return new FileTypeError(path, 'container', 'directory', 'not a directory');
    case NOT_REGULAR:
      return new FileTypeError(path, 'container', expected, 'a FIFO, socket or device');
    case SHORT_WRITE:
      return new FileTransferError(path, `the container received a short file (${message})`);
  }
  if (/Read-only file system/i.test(stderr)) return new FilePermissionError(path, 'container', message, true);
  if (/Permission denied|Operation not permitted/i.test(stderr)) return new FilePermissionError(path, 'container', message, false);
  if (/Not a directory|File exists/i.test(stderr)) return new FileTypeError(path, 'container', 'directory', 'not a directory (or has a parent that is not)');
  if (/No such file|nonexistent|can't cd|not found/i.test(stderr)) {
    // sh saying a tool itself is missing is not a missing path.
    if (/(tar|cat|mkdir|wc|chmod|mv): (command )?not found/i.test(stderr)) return new FileTransferError(path, message);
    return new FileNotFoundError(path, 'container');
  }
  return new FileTransferError(path, `${message} (exit code ${exitCode ?? 'unknown'})`);
}
