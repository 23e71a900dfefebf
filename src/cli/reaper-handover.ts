/**
 * The end of a `run` in a fresh sandbox without waiting on the engine's removal (a quarter of a
 * second or more of `docker rm -f`, most of what the CLI added to `docker run --rm`): the process
 * exits once its output is out, and the reaper it started before creating the container
 * (src/docker/reaper.ts) sees it gone and removes the container. Nothing is left behind, as with
 * `stop()`, but the removal finishes just after the CLI returns instead of before. Without a
 * reaper (`DOCKER_SHELL_REAPER=0`, or it could not start) the verb removes the sandbox itself.
 */
import type { DockerRunner } from '../docker/docker-runner.js';
import { ensureReaper } from '../docker/reaper.js';
import { log } from './failure.js';

let handedOver = false;

/** True when the reaper watching this process will remove `runner`'s sandbox: then the process must exit ({@link exitIfHandedOver}). */
export function leaveToReaper(runner: DockerRunner): boolean {
  // Idempotent: the reaper start() began with, if it is still alive.
  if (ensureReaper(runner.docker) === undefined) return false;
  log('sandbox %s: left to the reaper', runner.id);
  handedOver = true;
  return true;
}

/** Once a sandbox was left to the reaper: waits until stdout and stderr have written everything, then exits (the exit code as set). */
export async function exitIfHandedOver(): Promise<void> {
  if (!handedOver) return;
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  // The session's connection would keep the process alive; the reaper's removal starts at our exit.
  process.exit();
}

/** Resolves once everything written to `stream` so far is out (or the stream is gone: nothing more can be). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.writableEnded) resolve();
    else stream.write('', () => resolve());
  });
}
