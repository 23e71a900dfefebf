/**
 * The tally and the last line of `run`, as pure logic: steps that pass, fail, time out and end the
 * session, in every order that names a different step. (run.test.ts runs the same on the engine.)
 */
import { describe, expect, it } from 'vitest';
import { StepTally, summaryLine } from '../../src/cli/run-summary.js';
import type { StepEnd } from '../../src/cli/step-report.js';
import { SessionClosedError } from '../../src/errors.js';

/** A step that ended with an exit code (137 with `timedOut`). */
function exited(exitCode: number, timedOut = false): StepEnd {
  const result = {
    command: 'x',
    exitCode,
    stdout: '',
    stderr: '',
    output: '',
    durationMs: 1,
    timedOut,
    canceled: false,
    oomKilled: false,
    truncated: false,
    droppedBytes: 0,
  };
  return { result };
}

/** A step under which the session ended: `exit N`, or killed / lost with no exit code. */
function ended(exitCode: number | null, timedOut = false): StepEnd {
  const reason = exitCode === null ? 'unresponsive' : 'shell-exited';
  const closed = new SessionClosedError({ reason, detail: 'gone', exitCode }, { command: 'x', timedOut });
  return { closed, durationMs: 1 };
}

function tallyOf(ends: StepEnd[]): StepTally {
  const tally = new StepTally();
  ends.forEach((end, index) => tally.add({ step: index + 1, command: 'x', end }));
  return tally;
}

describe('summaryLine()', () => {
  it.each<[string, StepEnd[], number, string, number]>([
    ['all passed', [exited(0), exited(0)], 2, 'all 2 steps passed in 5.0 ms', 0],
    ['one step passed', [exited(0)], 1, 'the step passed in 5.0 ms', 0],
    ['stopped at a failure', [exited(0), exited(3)], 3, 'step 2 of 3 failed (exit 3); 1 step not run (--keep-going runs them all)', 3],
    ['a timed-out step', [exited(137, true)], 2, 'step 1 of 2 failed (exit 137, timed out); 1 step not run (--keep-going runs them all)', 137],
    ['--keep-going, several failures', [exited(3), exited(0), exited(5)], 3, "2 of 3 steps failed in 5.0 ms; the exit code is step 1's (3)", 3],
    ['the session ended in the first failure', [exited(0), ended(7)], 4, 'the session ended in step 2 of 4 (exit 7); 2 steps not run', 7],
    [
      '--keep-going: the session ended in a later step than the first failure',
      [exited(0), exited(1), ended(4)],
      4,
      "the session ended in step 3 of 4 (exit 4); 1 step not run; 2 of 4 steps failed, the exit code is step 2's (1)",
      1,
    ],
    [
      '--keep-going: the session ended in the last step, after a timed-out one',
      [exited(137, true), exited(0), ended(null, true)],
      3,
      "the session ended in step 3 of 3 (no exit code, timed out); 2 of 3 steps failed, the exit code is step 1's (137)",
      137,
    ],
    [
      'exit 0 ends the session: later steps do not run, the code is 0',
      [exited(0), ended(0)],
      3,
      'the session ended in step 2 of 3 (exit 0); 1 step not run',
      0,
    ],
  ])('%s', (_name, ends, total, line, exitCode) => {
    const tally = tallyOf(ends);
    expect(summaryLine(tally, total, 5)).toBe(line);
    expect(tally.exitCode).toBe(exitCode);
  });
});
