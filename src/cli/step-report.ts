/**
 * How a step is reported: for people, a header and a footer on stderr around the command's own
 * output; for machines (`--json`), one JSON object per step on stdout, with stable field names.
 */
import { chalkStderr as chalk } from 'chalk';
import { SessionClosedError, describeCommand, type CloseReason } from '../errors.js';
import type { CommandResult } from '../session/command-result.js';
import { formatBytes, formatDuration } from './parse.js';

/** How a step ended: with a result, or with the end of the session (the shell exited, was killed...). */
export type StepEnd = { result: CommandResult } | { closed: SessionClosedError; durationMs: number };

/** A step that ran. */
export interface StepOutcome {
  /** 1-based. */
  step: number;
  command: string;
  end: StepEnd;
}

/**
 * The `--json` line of a step. Field names are stable; a new field may be added, none renamed.
 * `sessionClosed` is null, or why the session ended during the step (`shell-exited` after an
 * `exit 3`, `shell-killed`, `container-gone`, `transport-error`, `unresponsive`): no step runs after it.
 */
export interface StepRecord extends Pick<
  CommandResult,
  'command' | 'exitCode' | 'durationMs' | 'timedOut' | 'canceled' | 'oomKilled' | 'truncated' | 'droppedBytes' | 'stdout' | 'stderr'
> {
  step: number;
  sessionClosed: Exclude<CloseReason, 'stopped'> | null;
}

/** When docker-shell itself could not go on (the engine was lost): exit with 125, not a step's code. */
export const LOST_SESSION_EXIT_CODE = 125;

/** The step's exit code: its command's, or the shell's when it ended the session (`exit 3` is 3). */
export function stepExitCode(end: StepEnd): number {
  if ('result' in end) return end.result.exitCode;
  return end.closed.exitCode ?? LOST_SESSION_EXIT_CODE;
}

/** True when the step counts as failed: a non-zero exit code, or the session ended under it. */
export function stepFailed(end: StepEnd): boolean {
  return 'closed' in end || end.result.exitCode !== 0;
}

/** The `--json` record of a step. */
export function stepRecord({ step, command, end }: StepOutcome): StepRecord {
  if ('result' in end) {
    const { result } = end;
    return {
      step,
      command,
      exitCode: result.exitCode,
      durationMs: round(result.durationMs),
      timedOut: result.timedOut,
      canceled: result.canceled,
      oomKilled: result.oomKilled,
      truncated: result.truncated,
      droppedBytes: result.droppedBytes,
      stdout: result.stdout,
      stderr: result.stderr,
      sessionClosed: null,
    };
  }
  const { closed, durationMs } = end;
  return {
    step,
    command,
    exitCode: stepExitCode(end),
    durationMs: round(durationMs),
    timedOut: closed.timedOut,
    canceled: closed.canceled,
    oomKilled: closed.detail.includes('OOM'),
    truncated: false,
    droppedBytes: 0,
    stdout: closed.stdout,
    stderr: closed.stderr,
    sessionClosed: closed.reason === 'stopped' ? null : closed.reason,
  };
}

/** `[2/3] $ make test`: the header of a step, before its output. */
export function stepHeader(step: number, total: number, command: string): string {
  return `${chalk.cyan(`[${step}/${total}] $`)} ${chalk.bold(describeCommand(command))}\n`;
}

/** `[2/3] exit 1 (1.24 s)`, plus what else happened (timed out, OOM, truncated, the shell exited). */
export function stepFooter(outcome: StepOutcome, total: number): string {
  const { end } = outcome;
  const code = stepExitCode(end);
  const notes: string[] = [];
  if ('result' in end) {
    const { result } = end;
    notes.push(formatDuration(result.durationMs));
    if (result.timedOut) notes.push('timed out');
    if (result.canceled) notes.push('interrupted');
    if (result.oomKilled) notes.push('killed for lack of memory (--memory)');
    if (result.truncated) notes.push(`output truncated: ${formatBytes(result.droppedBytes)} dropped (--max-output)`);
  } else {
    notes.push(formatDuration(end.durationMs), `the session ended: ${end.closed.detail}`);
  }
  const color = stepFailed(end) ? chalk.red : chalk.green;
  const label = 'closed' in end && end.closed.exitCode === null ? 'no exit code' : `exit ${code}`;
  return `${color(`[${outcome.step}/${total}] ${label}`)} ${chalk.dim(`(${notes.join(', ')})`)}\n`;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
