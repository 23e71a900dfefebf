/**
 * Recycling a sandbox between two jobs (RunnerPool's `policy: 'recycle'`): made as clean as a new
 * one from the same image, and proven so, or reported dirty (the pool then destroys it).
 *
 * 1. At the start, before any job: a scan (sandbox-scan.sh, in a `docker exec`) records the
 *    baseline: the session's shell (program, environment, cwd, umask, signal dispositions, limits,
 *    open files), the processes, every writable place and its entries, and with a writable root the
 *    engine's own list of changes to the image (`docker diff`).
 * 2. After a job: what the runner holds on the host side ends (spawned processes, terminals, extra
 *    shells, port forwards); the session's shell replaces itself with a fresh bash as at the start
 *    (fresh-shell.ts) and the session starts again on it; one `docker exec` kills every other
 *    process, removes what the baseline does not have from the writable places and every SysV IPC
 *    object, then scans again. Any difference from the baseline is dirt: so is, with a writable
 *    root, a change to the image that was not there at the start.
 */
import type Dockerode from 'dockerode';
import { RecycleBaselineError } from '../../errors.js';
import type { Session } from '../../session/session.js';
import { ansiCQuote } from '../../protocol/bash-quote.js';
import { freshShellCommand } from './fresh-shell.js';
import { SCAN_SCRIPT, compareScans, parseScan, recycleArguments, type SandboxScan } from './sandbox-scan.js';

/** How a recycle ended: clean (the sandbox may serve the next job) or not, and why. */
export type RecycleOutcome = { clean: true } | { clean: false; reason: string };

/** What a recycle needs of the runner. */
export interface RecycleContext {
  container: Dockerode.Container;
  /** The sandbox's working directory, where its shell starts. */
  workdir: string;
  readOnly: boolean;
  /** The runner's session, at rest between jobs. */
  session: Session;
  /** Ends what the runner holds on the host side: spawned processes, terminals, shells, forwards. */
  endHandles(): Promise<void>;
  /** Starts a new session on the shell the old one left as `exit` does. */
  reopen(): Promise<Session>;
}

/** Most output a scan may print (its records of every file in the writable places). */
const SCAN_OUTPUT_BYTES = 64 * 1024 ** 2;

/** Longest a scan may take: past it, the sandbox counts as dirty. */
const SCAN_TIMEOUT_MS = 30_000;

/** The time each stage of the last recycle took, for the bench. */
export interface RecycleTimings {
  handlesMs: number;
  freshShellMs: number;
  cleanAndScanMs: number;
  diffMs: number;
}

/** A sandbox's baseline, and the recycles compared to it. */
export class Recycler {
  #baseline: SandboxScan | undefined;
  #changes: Set<string> | undefined;
  /** Stage times of the last recycle. */
  lastTimings: RecycleTimings | undefined;

  /** Records the baseline; call it once, right after the start, before any job. */
  async takeBaseline(context: RecycleContext): Promise<void> {
    const output = await runScan(context.session, ['baseline', String(context.session.shellPid)]).catch((error: unknown) => {
      throw new RecycleBaselineError(error instanceof Error ? error.message : String(error), error);
    });
    const scan = parseScan(output);
    if (!scan) throw new RecycleBaselineError('the scan did not finish');
    this.#baseline = scan;
    if (!context.readOnly) this.#changes = new Set(await layerChanges(context.container));
  }

  /** Cleans the sandbox and proves it clean; never throws. */
  async recycle(context: RecycleContext): Promise<RecycleOutcome> {
    try {
      return await this.#recycle(context);
    } catch (error) {
      return { clean: false, reason: `the recycle failed: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  async #recycle(context: RecycleContext): Promise<RecycleOutcome> {
    const baseline = this.#baseline;
    if (!baseline) return { clean: false, reason: 'no baseline was taken at the start' };
    if (context.session.isClosed) return { clean: false, reason: `the session has ended (${context.session.closeInfo?.detail ?? 'closed'})` };
    if (context.session.busyCount > 0) return { clean: false, reason: 'a command of the job was still running or queued' };
    const t0 = performance.now();
    await context.endHandles();
    const t1 = performance.now();
    await context.session.run(freshShellCommand(baseline, context.workdir), { timeoutMs: SCAN_TIMEOUT_MS }).catch(() => {});
    if (!context.session.isRestartable) return { clean: false, reason: 'the shell could not be replaced by a fresh one' };
    const session = await context.reopen();
    const t2 = performance.now();
    // A writable root: the engine's view first, before any program of the image runs again (a job
    // could have replaced one).
    if (this.#changes) {
      const changed = imageChanges(this.#changes, await layerChanges(context.container), baseline.places);
      if (changed.length > 0) return { clean: false, reason: changed.join('; ') };
    }
    const t3 = performance.now();
    const output = await runScan(session, ['recycle', String(session.shellPid), ...recycleArguments(baseline)]);
    const t4 = performance.now();
    const scan = parseScan(output);
    if (!scan) return { clean: false, reason: 'the scan after cleaning did not finish' };
    const differences = compareScans(baseline, scan);
    this.lastTimings = { handlesMs: t1 - t0, freshShellMs: t2 - t1, diffMs: t3 - t2, cleanAndScanMs: t4 - t3 };
    return differences.length === 0 ? { clean: true } : { clean: false, reason: differences.join('; ') };
  }
}

/**
 * Runs the scan script with `args` in a subshell of the session's shell (freshly started at the
 * baseline, freshly replaced at a recycle), and returns its stdout. A subshell is a fork of that
 * fresh shell, with nothing of a job's in it: a new bash would cost an exec and a start-up more (about
 * 10 ms of CPU here), and a `docker exec` 0.2 to 0.4 s on a busy engine, about the start of a whole new
 * container.
 */
async function runScan(session: Session, args: string[]): Promise<string> {
  const command = `(\nbuiltin set -- ${args.map((word) => ansiCQuote(word)).join(' ')}\n${SCAN_SCRIPT}\n)`;
  const result = await session.run(command, { timeoutMs: SCAN_TIMEOUT_MS, maxOutputBytes: SCAN_OUTPUT_BYTES });
  return result.stdout;
}

/** `docker diff`: each change to the image's files as "KIND PATH" (C changed, A added, D deleted). */
async function layerChanges(container: Dockerode.Container): Promise<string[]> {
  const changes = ((await container.changes()) ?? []) as Array<{ Path: string; Kind: number }>;
  return changes.map(({ Path, Kind }) => `${'CAD'[Kind] ?? '?'} ${Path}`);
}

/**
 * Changes the engine sees now and did not at the start, other than a writable place (or a
 * directory above one) marked changed because entries came and went in it: those are the image's
 * own files, which no cleaning can put back.
 */
function imageChanges(baseline: Set<string>, now: string[], places: string[]): string[] {
  // Entries added in a place are the scan's to remove (and to find, if they stay).
  const allowed = (change: string): boolean => {
    const path = change.slice(2);
    if (change.startsWith('A ')) return places.some((place) => path.startsWith(`${place}/`));
    return change.startsWith('C ') && places.some((place) => place === path || place.startsWith(`${path}/`) || path.startsWith(`${place}/`));
  };
  const changed = now.filter((change) => !baseline.has(change) && !allowed(change));
  return changed.length === 0 ? [] : [`the job changed the image's files, which cannot be put back: ${changed.slice(0, 5).join(', ')}`];
}
