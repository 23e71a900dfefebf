/**
 * What `run`'s steps came to, and the last line that says so for people. The step that failed
 * first (its code is the run's) and the step that ended the session are kept apart: with
 * `--keep-going` they can be two different steps, and the summary names each.
 */
import { formatDuration } from './parse.js';
import { stepExitCode, stepFailed, type StepOutcome } from './step-report.js';

/** A step the summary names. */
export interface NamedStep {
  /** 1-based. */
  step: number;
  exitCode: number;
  /** `exit 4`, `exit 137, timed out`, `no exit code`: as the summary shows it. */
  label: string;
}

/** The steps of one `run`, counted as they end. */
export class StepTally {
  #firstFailure: NamedStep | undefined;
  #sessionEnd: NamedStep | undefined;
  #failures = 0;
  #ran = 0;

  /** Counts a step that ran. */
  add({ step, end }: StepOutcome): void {
    this.#ran += 1;
    if (!stepFailed(end)) return;
    const timedOut = 'result' in end ? end.result.timedOut : end.closed.timedOut;
    const code = 'closed' in end && end.closed.exitCode === null ? 'no exit code' : `exit ${stepExitCode(end)}`;
    const named: NamedStep = { step, exitCode: stepExitCode(end), label: timedOut ? `${code}, timed out` : code };
    this.#failures += 1;
    this.#firstFailure ??= named;
    if ('closed' in end) this.#sessionEnd = named;
  }

  /** The step that failed first: the run exits with its code. */
  get firstFailure(): NamedStep | undefined {
    return this.#firstFailure;
  }

  /** The step during which the session ended: no step ran after it. */
  get sessionEnd(): NamedStep | undefined {
    return this.#sessionEnd;
  }

  get failures(): number {
    return this.#failures;
  }

  get ran(): number {
    return this.#ran;
  }

  /** The run's exit code: the first failure's, else 0. */
  get exitCode(): number {
    return this.#firstFailure?.exitCode ?? 0;
  }
}

/**
 * The last line for people: all passed; or the step that failed (with what did not run); or the
 * step that ended the session; and, when several failed, the step whose code is the run's.
 */
export function summaryLine(tally: StepTally, total: number, durationMs: number): string {
  const took = formatDuration(durationMs);
  const { firstFailure, sessionEnd, failures } = tally;
  if (firstFailure === undefined) return `${total === 1 ? 'the step' : `all ${total} steps`} passed in ${took}`;
  const notRun = total - tally.ran;
  const skipped = notRun > 0 ? `; ${notRun} step${notRun === 1 ? '' : 's'} not run` : '';
  const whose = `the exit code is step ${firstFailure.step}'s (${firstFailure.exitCode})`;
  if (sessionEnd !== undefined) {
    const ended = `the session ended in step ${sessionEnd.step} of ${total} (${sessionEnd.label})${skipped}`;
    return sessionEnd === firstFailure ? ended : `${ended}; ${failures} of ${total} steps failed, ${whose}`;
  }
  if (failures > 1) return `${failures} of ${total} steps failed in ${took}; ${whose}`;
  const hint = notRun > 0 ? ' (--keep-going runs them all)' : '';
  return `step ${firstFailure.step} of ${total} failed (${firstFailure.label})${skipped}${hint}`;
}
