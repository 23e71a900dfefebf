/**
 * Choosing the route of a transfer, and running the exec route's scripts to completion.
 */
import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import { DockerShellError, FileTransferError } from '../../errors.js';
import { engineError, onTmpfs, tmpfsMounts } from './archive-api.js';
import { hostError, isFsError } from './host-errors.js';
import { execFailure } from './exec-scripts.js';
import { startExec, type ExecProcess } from './exec-process.js';
import { preferredRoute, type FileAccessOptions, type TransferRoute } from './options.js';

/** The route for `path`: see `FileAccessOptions.via`; tmpfs paths always go through exec. */
export async function routeFor(container: Dockerode.Container, path: string, options: FileAccessOptions): Promise<TransferRoute> {
  const preferred = preferredRoute(options);
  if (preferred === 'exec') return 'exec';
  const mounts = await tmpfsMounts(container).catch((error: unknown) => {
    throw engineError(container, `inspect container ${container.id}`, error);
  });
  return onTmpfs(path, mounts) ? 'exec' : 'archive';
}

/** Starts `sh -c script sh ...args` as `user` (see `startExec()` for `stdin`). */
export function startScript(
  container: Dockerode.Container,
  script: string,
  args: string[],
  user: string | undefined,
  stdin: Readable | 'hold',
): Promise<ExecProcess> {
  return startExec(container, ['sh', '-c', script, 'sh', ...args], user, stdin).catch((error: unknown) => {
    throw engineError(container, `run a file transfer in container ${container.id}`, error);
  });
}

/**
 * Runs a put script to its end, feeding `stdin`. A failure to read what is put (a local file) wins
 * over what the script then says; otherwise a non-zero exit becomes the script's typed error (when
 * the script fails early, feeding it fails too, with a mere "stream closed").
 */
export async function runPutScript(
  container: Dockerode.Container,
  script: string,
  args: string[],
  options: FileAccessOptions,
  stdin: Readable,
  path: string,
  expected: 'file' | 'directory',
): Promise<void> {
  const process = await startScript(container, script, args, options.user, stdin);
  process.stdout.resume();
  const { exitCode, stderr } = await process.exited;
  const feedError = process.stdinError();
  if (feedError instanceof DockerShellError) throw feedError;
  if (isFsError(feedError)) throw hostError(feedError.path ?? path, feedError);
  if (exitCode !== 0) throw execFailure(path, exitCode, stderr, expected);
  if (feedError) throw new FileTransferError(path, `sending the data failed (${feedError.message})`, { cause: feedError });
}
