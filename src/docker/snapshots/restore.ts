/**
 * `DockerRunner.start({ snapshot })`: the child's options (the parent's, under the ones given), and
 * once its session answers, the parent's files back in their places and its shell state adopted.
 */
import type Dockerode from 'dockerode';
import { InvalidArgumentError, StartFailedError } from '../../errors.js';
import type { Session } from '../../session/session.js';
import { ADOPT_COMMAND, EXTRACT_COMMAND } from './snapshot-scripts.js';
import { Snapshot, openSnapshot } from './snapshot.js';

/** Checks the `snapshot` start option (where it enters: the runner's constructor). */
export function checkSnapshotOption(options: { snapshot?: unknown; image?: unknown }): void {
  const { snapshot } = options;
  if (snapshot === undefined) return;
  if (!(snapshot instanceof Snapshot) && !(typeof snapshot === 'string' && snapshot !== '')) {
    throw new InvalidArgumentError('snapshot', 'a Snapshot, or the id or name of one', snapshot);
  }
  if (options.image !== undefined) throw new InvalidArgumentError('image', 'left out with `snapshot` (the snapshot is the image)', options.image);
}

/** A child's start: its snapshot (checked to be on the engine) and its runner options. */
export interface SnapshotStart {
  snapshot: Snapshot;
  options: Record<string, unknown>;
}

/**
 * The snapshot as the engine has it, and the child's options: the parent's (hardening, labels,
 * defaults), each overridden by one given to start; the image is the snapshot's.
 * @throws SnapshotNotFoundError
 */
export async function prepareSnapshotStart(docker: Dockerode, given: Record<string, unknown>): Promise<SnapshotStart> {
  const wanted = given.snapshot as Snapshot | string;
  const snapshot = await openSnapshot(docker, typeof wanted === 'string' ? wanted : wanted.id);
  const options: Record<string, unknown> = { ...snapshot.runnerOptions };
  for (const [key, value] of Object.entries(given)) if (value !== undefined) options[key] = value;
  // Checked, inspected: the image is local (the snapshot's id), never pulled.
  return { snapshot, options: { ...options, image: snapshot.id, pull: 'never' } };
}

/** Puts the snapshot's files back (as the sandbox user) and gives the session the parent's state. */
export async function restoreSession(session: Session, snapshot: Snapshot): Promise<void> {
  const image = snapshot.ref ?? snapshot.id;
  const extract = await session.run(EXTRACT_COMMAND, { timeoutMs: 300_000, maxOutputBytes: 16_384 });
  if (extract.exitCode !== 0)
    throw new StartFailedError(image, `the snapshot's files could not be put back (${extract.stdout.trim() || `tar exited with ${extract.exitCode}`})`);
  const adopt = await session.run(ADOPT_COMMAND, { timeoutMs: 30_000, maxOutputBytes: 16_384 });
  if (adopt.exitCode !== 0)
    throw new StartFailedError(image, `the shell could not take the snapshot's state (${adopt.stderr.trim() || `status ${adopt.exitCode}`})`);
}

/** The runner options a snapshot carries to its children: the sandbox's confinement, labels and command defaults. */
export function carriedOptions(options: Record<string, unknown>, sandboxOptionNames: readonly string[]): Record<string, unknown> {
  // A lifetime starts again with the child (its own expiry label replaces the one a writable root's image inherits).
  const names = [...sandboxOptionNames, 'labels', 'timeoutMs', 'maxOutputBytes', 'startTimeoutMs', 'lifetimeMs'];
  return Object.fromEntries(Object.entries(options).filter(([key, value]) => names.includes(key) && value !== undefined));
}
