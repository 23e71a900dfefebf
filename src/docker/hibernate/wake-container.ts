/**
 * Wake: a hibernated sandbox is started from its checkpoint, its processes running on where they
 * were. The caller's connection is attached before the start, so no output is missed.
 */
import { performance } from 'node:perf_hooks';
import type Dockerode from 'dockerode';
import { attachShell, type AttachedShell } from '../attach-transport.js';
import { dockerError } from '../docker-client.js';
import { checkpointError, deleteCheckpoint, engineMessage, startFromCheckpoint } from './checkpoint-engine.js';
import { STALE_STATE_MESSAGE, clearStaleState } from './runsc-state.js';

/**
 * The engine uploads the checkpoint to containerd's content store for each start, and deletes it
 * after; an upload identical to one not yet collected is refused (seen in bench/hibernate.ts and
 * in the tests under load) until containerd's garbage collector has run: tried again after these pauses.
 */
const UPLOAD_CLASH_MESSAGE = /failed to upload checkpoint to containerd: .*already exists/i;
const UPLOAD_RETRY_DELAYS_MS = [100, 250, 500, 1000, 2000];

/** Options of `wakeContainer()`. */
export interface WakeOptions {
  /** Keep the checkpoint in the engine's store after the restore (to restore or fork from it again). Default: false. */
  keepCheckpoint?: boolean;
  /** Aborts the engine calls. */
  signal?: AbortSignal;
}

/** What `wakeContainer()` did. */
export interface WakeResult {
  /** The connection attached before the start: bash's stdin, stdout and stderr. */
  attached: AttachedShell;
  /** How long the restore took (`docker start --checkpoint`), the attach not included. */
  durationMs: number;
}

/**
 * Attaches (with `attach`, default `attachShell`) to a stopped container, then starts it from its
 * checkpoint `checkpointName`. Its shell, still inside its command loop, is on the new connection:
 * `Session.resume()` takes it over. On failure the connection is destroyed.
 * @throws HibernateUnsupportedError (the engine's experimental features off), CheckpointFailedError
 *   (the engine's message: e.g. no such checkpoint, or the container is running), DockerApiError
 */
export async function wakeContainer(
  docker: Dockerode,
  container: Dockerode.Container,
  checkpointName: string,
  attach: (container: Dockerode.Container) => Promise<AttachedShell> = attachShell,
  options: WakeOptions = {},
): Promise<WakeResult> {
  const attachNow = () =>
    attach(container).catch((error: unknown) => {
      throw dockerError(docker, `attach to the container ${container.id}`, error);
    });
  let attached = await attachNow();
  const startedAt = performance.now();
  // A refused start ends the connections attached to it: each new try attaches again first.
  const tryAgain = async () => {
    attached.socket.destroy();
    attached = await attachNow();
    await startFromCheckpoint(container, checkpointName, options.signal);
  };
  try {
    await startFromCheckpoint(container, checkpointName, options.signal).catch(async (error: unknown) => {
      const message = engineMessage(error);
      if (STALE_STATE_MESSAGE.test(message)) {
        // runsc's state left by an earlier hibernate (see runsc-state.ts): cleared, then once more.
        const { Image } = await container.inspect();
        await clearStaleState(docker, container.id, { image: Image });
        return tryAgain();
      }
      if (!UPLOAD_CLASH_MESSAGE.test(message)) throw error;
      for (const [attempt, delayMs] of UPLOAD_RETRY_DELAYS_MS.entries()) {
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        try {
          return await tryAgain();
        } catch (again) {
          if (attempt === UPLOAD_RETRY_DELAYS_MS.length - 1 || !UPLOAD_CLASH_MESSAGE.test(engineMessage(again))) throw again;
        }
      }
    });
  } catch (error) {
    attached.socket.destroy();
    throw checkpointError(docker, 'restore', container.id, checkpointName, error);
  }
  const durationMs = performance.now() - startedAt;
  // The restored sandbox holds its memory itself: the saved image is no longer needed.
  if (!options.keepCheckpoint) await deleteCheckpoint(container, checkpointName).catch(() => {});
  return { attached, durationMs };
}
