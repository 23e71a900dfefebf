/**
 * `runner.fork()` of a sandbox with a read-only root (the default): its image is unchanged, so no
 * snapshot image is made. The children start from the parent's image while the parent is captured,
 * and then get its files (the archive streamed into each through `docker exec tar`) and its shell
 * state (a here-string to the same adoption as a snapshot's). A fork then costs about one start,
 * instead of a snapshot image and a start one after the other.
 */
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { SandboxBusyError, StartFailedError } from '../../errors.js';
import { ansiCQuote } from '../../protocol/bash-quote.js';
import type { Session } from '../../session/session.js';
import { startExec } from '../files/exec-process.js';
import { capture, type Captured } from './capture.js';
import { adoptCommand } from './snapshot-scripts.js';
import type { ForkOptions } from './fork.js';
import type { SnapshotSource } from './take-snapshot.js';

/** What the fork needs of a child: to be given the parent's capture, and stopped on failure. */
export interface ForkChild {
  stop(): Promise<void>;
}

/** Where a child is, for its restore. */
export interface ChildSandbox {
  container: Dockerode.Container;
  session: Session;
  user: string;
}

/**
 * Starts `count` children with `start(image)` while the parent is captured, then restores each
 * (`restore` gives a child's sandbox). Any failure stops them all.
 */
export async function forkInPlace<T extends ForkChild>(
  source: SnapshotSource,
  options: ForkOptions,
  start: (image: string) => Promise<T>,
  sandboxOf: (child: T) => ChildSandbox,
): Promise<T[]> {
  if (options.wait === false && source.session.busyCount > 0) throw new SandboxBusyError('fork', source.session.busyCount);
  const { Image: image } = await source.container.inspect();
  const archiveFile = join(tmpdir(), `docker-shell-fork-${randomBytes(6).toString('hex')}.tar`);
  const starts = Array.from({ length: options.count ?? 1 }, () => start(image));
  try {
    const captured = await capture({ ...source, archiveFile }).catch(async (error: unknown) => {
      await Promise.allSettled(starts.map(async (child) => (await child).stop()));
      throw error;
    });
    const settled = await Promise.allSettled(
      starts.map(async (starting) => {
        const child = await starting;
        await restore(sandboxOf(child), captured, archiveFile, image).catch(async (error: unknown) => {
          await child.stop();
          throw error;
        });
        return child;
      }),
    );
    const failed = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    const children = settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    if (!failed) return children;
    await Promise.allSettled(children.map((child) => child.stop()));
    throw failed.reason;
  } finally {
    await rm(archiveFile, { force: true });
  }
}

/** The parent's files into the child's places (as the sandbox user), then its shell state. */
async function restore(child: ChildSandbox, captured: Captured, archiveFile: string, image: string): Promise<void> {
  const tar = await startExec(child.container, ['tar', '-xf', '-', '-C', '/'], child.user, createReadStream(archiveFile));
  tar.stdout.resume();
  const { exitCode, stderr } = await tar.exited;
  const fed = tar.stdinError();
  if (exitCode !== 0 || fed)
    throw new StartFailedError(image, `the parent's files could not be put in place (${fed?.message ?? (stderr.trim() || `tar exited with ${exitCode}`)})`);
  const adopt = await child.session.run(adoptCommand(`<<<${ansiCQuote(captured.state.toString())}`), { timeoutMs: 30_000, maxOutputBytes: 16_384 });
  if (adopt.exitCode !== 0)
    throw new StartFailedError(image, `the shell could not take the parent's state (${adopt.stderr.trim() || `status ${adopt.exitCode}`})`);
}
