/**
 * Capturing a running sandbox: the session's shell state (a command in its queue), then, with the
 * shell still between commands and every process of the sandbox stopped, the files of its tmpfs
 * places (a tar through `docker exec`) and, with a writable root, its layer (`docker commit`).
 */
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { performance } from 'node:perf_hooks';
import type Dockerode from 'dockerode';
import { SnapshotFailedError } from '../../errors.js';
import type { Session } from '../../session/session.js';
import { WRITABLE_PLACES } from '../container-spec.js';
import { dockerError } from '../docker-client.js';
import { startExec } from '../files/exec-process.js';
import type { ResolvedSandbox } from '../sandbox-options.js';
import { ARCHIVE, FREEZE, adoptableState, parseProcessLines, stateCommand, type ProcessLine } from './snapshot-scripts.js';

/** Docker's own tmpfs, there whatever the root: a snapshot carries it too. */
const SHM = '/dev/shm';

/** The places whose files go into the archive (relative to /), and the bind mounts inside them to leave out. */
export interface ArchivePlan {
  places: string[];
  excludes: string[];
}

/**
 * What a snapshot archives. With a read-only root every writable place is a tmpfs (their files are
 * in no layer); with a writable root the layer holds everything but /dev/shm. A bind mount is a host
 * directory: a place at or under one is left to it, and one inside a place is left out of the archive.
 */
export function archivePlan(sandbox: Pick<ResolvedSandbox, 'readOnly' | 'workdir' | 'mounts'>): ArchivePlan {
  const candidates = sandbox.readOnly ? [...WRITABLE_PLACES, sandbox.workdir, SHM] : [SHM];
  const targets = sandbox.mounts.map((mount) => mount.target.replace(/\/+$/, ''));
  const within = (path: string, dir: string): boolean => path === dir || path.startsWith(`${dir}/`);
  const unique = [...new Set(candidates)].filter((place) => !targets.some((target) => within(place, target)));
  // A place inside another (a workdir under /tmp) travels with the outer one.
  const places = unique.filter((place) => !unique.some((other) => other !== place && within(place, other)));
  const excludes = targets.filter((target) => places.some((place) => target !== place && within(target, place)));
  const relative = (path: string): string => path.replace(/^\/+/, '');
  return { places: places.map(relative), excludes: excludes.map(relative) };
}

/** What the sandbox held, on the host side. */
export interface Captured {
  /** The state script (see `stateCommand`). */
  state: Buffer;
  /** The background processes found running (not carried). */
  processes: ProcessLine[];
  /** The image of the container's writable layer, when its root is writable. */
  layerImage: string | undefined;
  /** How long each step took, in ms. */
  timings: { stateMs: number; freezeMs: number; archiveMs: number; commitMs: number; frozenMs: number };
}

export interface CaptureInput {
  docker: Dockerode;
  container: Dockerode.Container;
  session: Session;
  sandbox: ResolvedSandbox;
  /** The host file the archive of the tmpfs places is written to. */
  archiveFile: string;
}

/**
 * Queues the capture in the session: the state command, and right behind it (enqueued in the same
 * tick, so no other command comes between) the file capture, which holds the queue until done.
 */
export function capture(input: CaptureInput): Promise<Captured> {
  const { session } = input;
  const startedAt = performance.now();
  const marker = `__ds_snapshot_${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  const state = readState(session, marker);
  // A rejection is the files step's to report; this one must not go unhandled meanwhile.
  state.catch(() => {});
  return session.exclusive(async () => {
    const stateBytes = await state;
    const stateMs = performance.now() - startedAt;
    const files = await captureFiles(input);
    return { ...files, state: stateBytes, timings: { ...files.timings, stateMs } };
  });
}

async function readState(session: Session, marker: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let exitCode: number | null = null;
  for await (const event of session.stream(stateCommand(marker), { timeoutMs: 60_000, maxOutputBytes: 4096 })) {
    if (event.type === 'stdout') chunks.push(event.data);
    else if (event.type === 'result') exitCode = event.result.exitCode;
  }
  const stdout = Buffer.concat(chunks);
  const start = stdout.indexOf(`${marker}\n`);
  const script = start < 0 ? undefined : adoptableState(stdout.subarray(start + marker.length + 1));
  if (exitCode !== 0 || !script) {
    throw new SnapshotFailedError(`the session did not print its state (exit code ${exitCode}, ${stdout.length} bytes)`);
  }
  return script;
}

async function captureFiles(input: CaptureInput): Promise<Omit<Captured, 'state' | 'timings'> & { timings: Omit<Captured['timings'], 'stateMs'> }> {
  const { docker, container, session, sandbox, archiveFile } = input;
  const { places, excludes } = archivePlan(sandbox);
  const t0 = performance.now();
  const release = new PassThrough();
  const freezer = await startExec(container, ['bash', '-c', FREEZE, 'bash', String(session.shellPid)], sandbox.user, release).catch((error: unknown) => {
    throw dockerError(docker, 'start the freezer in the sandbox', error);
  });
  try {
    const lines = await readUntilFrozen(freezer.stdout);
    if (!lines) {
      const { exitCode, stderr } = await freezer.exited;
      throw new SnapshotFailedError(`the sandbox could not be frozen (bash exited with ${exitCode}${stderr ? `: ${stderr.trim()}` : ''})`);
    }
    const t1 = performance.now();
    const archiver = await startExec(container, ['bash', '-c', ARCHIVE, 'bash', String(excludes.length), ...excludes, ...places], sandbox.user).catch(
      (error: unknown) => {
        throw dockerError(docker, 'start tar in the sandbox', error);
      },
    );
    await pipeline(archiver.stdout, createWriteStream(archiveFile));
    const { exitCode, stderr } = await archiver.exited;
    // 1: a file changed while it was read (nothing runs: at most a socket or a vanished file).
    if (exitCode !== 0 && exitCode !== 1) throw new SnapshotFailedError(stderr.trim() || `tar exited with status ${exitCode}`);
    const t2 = performance.now();
    // The layer too while every process is stopped, so files and layer are of the same instant.
    const layerImage = sandbox.readOnly ? undefined : await commitLayer(docker, container);
    const t3 = performance.now();
    return {
      processes: parseProcessLines(lines),
      layerImage,
      timings: { freezeMs: t1 - t0, archiveMs: t2 - t1, commitMs: t3 - t2, frozenMs: t3 - t1 },
    };
  } finally {
    release.end('\n');
    await freezer.exited;
  }
}

async function commitLayer(docker: Dockerode, container: Dockerode.Container): Promise<string> {
  try {
    const { Id } = (await container.commit({ pause: true, comment: 'docker-shell snapshot: the writable layer' })) as { Id: string };
    return Id;
  } catch (error) {
    throw dockerError(docker, `commit container ${container.id}`, error);
  }
}

/** The lines the freezer printed before `frozen`; undefined when it ended without saying it. */
async function readUntilFrozen(stdout: Readable): Promise<string[] | undefined> {
  const lines: string[] = [];
  const reader = createInterface({ input: stdout, crlfDelay: Infinity });
  try {
    for await (const line of reader) {
      if (line === 'frozen') return lines;
      lines.push(line);
    }
    return undefined;
  } finally {
    reader.close();
    stdout.resume();
  }
}
