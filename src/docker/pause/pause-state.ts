/** What the engine says of a container's freezer: the truth a runner's pause state starts from. */
import type Dockerode from 'dockerode';

/**
 * True when the engine reports `container` paused (frozen by `docker pause` or `runner.pause()`).
 * For a runner made around an existing container (`DockerRunner.connect()`): it must know it is
 * paused before it opens a session on it. The engine's flag can lag a pause or unpause made a few
 * tens of milliseconds before (see `SandboxFreezer`).
 */
export async function pauseStateOf(container: Dockerode.Container): Promise<boolean> {
  const info = await container.inspect();
  return info.State.Paused === true;
}

/** The engine's answer to a pause or unpause it had nothing to do for. */
export function isAlready(error: unknown, state: 'paused' | 'not paused'): boolean {
  const message = (error as { json?: { message?: unknown } } | null)?.json?.message ?? (error as Error | null)?.message;
  return typeof message === 'string' && message.includes(`is ${state === 'paused' ? 'already paused' : 'not paused'}`);
}

/** The engine's answer when there is no running container to freeze or thaw. */
export function isNotRunning(error: unknown): boolean {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  const message = (error as { json?: { message?: unknown } } | null)?.json?.message ?? (error as Error | null)?.message;
  return status === 404 || (typeof message === 'string' && message.includes('is not running'));
}
