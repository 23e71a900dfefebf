/**
 * `docker-shell run [options] -- 'cmd1' 'cmd2' ...`: one fresh sandbox, one bash session, the
 * commands as steps in order with live output; stops at the first failure unless `--keep-going`,
 * and exits with the failing step's exit code. With `--detach` the sandbox outlives the call (its
 * id on stdout, last); with `--attach ID` the steps run in such a sandbox's session.
 */
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import { DockerRunner } from '../docker/docker-runner.js';
import { log, reportFailure } from './failure.js';
import { LiveOutput, writeTo } from './live-output.js';
import { leaveToReaper } from './reaper-handover.js';
import { collect, parseTransfer, type TransferSpec } from './parse.js';
import { Progress } from './progress.js';
import { addSandboxFlags, runnerOptions, type SandboxFlags } from './sandbox-flags.js';
import {
  addHandoverFlags,
  attachSandbox,
  endingOf,
  leaveSandbox,
  lifetimeOption,
  printDetachedId,
  type Ending,
  type HandoverFlags,
} from './sandbox-handover.js';
import { drainForwards, forwardPorts, pullImage, runStep, startRunner } from './sandbox-session.js';
import { signalExitCode, trapSignals } from './signals.js';
import { StepTally, summaryLine } from './run-summary.js';
import { stepFailed, stepFooter, stepHeader, stepRecord, type StepOutcome } from './step-report.js';
import { getAll, putAll } from './transfers.js';

/** Flags of `run`. */
interface RunFlags extends SandboxFlags, HandoverFlags {
  keepGoing?: boolean;
  json?: boolean;
  put?: TransferSpec[];
  get?: TransferSpec[];
}

/** The exit code when our output was closed under us (`docker-shell run ... | head -1`): 128 + SIGPIPE. */
const EXIT_OUTPUT_CLOSED = 141;

/** The `run` verb. */
export function runCommand(): Command {
  const command = new Command('run')
    .description('run each command as a step of one bash session in a fresh sandbox, in order, with live output')
    .usage("[options] -- 'command 1' 'command 2' ...")
    .argument('<commands...>', "the steps, one bash command line each (quote each one: 'make -j2' 'make test')")
    .option('-k, --keep-going', "run every step even after one failed (the exit code is the first failure's)")
    .option('--json', 'print one JSON object per step on stdout (JSON Lines) and nothing else there')
    .option('--put <local:remote>', 'copy a local file or directory into the sandbox before the steps (repeatable)', collect(parseTransfer))
    .option('--get <remote:local>', 'copy a sandbox file or directory out after the steps (repeatable; not after a failure)', collect(parseTransfer));
  addSandboxFlags(command, { timeout: '5m', timeoutHelp: 'timeout of each step: 30s, 5m, 1h, 1500 (ms), or none' });
  addHandoverFlags(command, 'run');
  return command.action(async (commands: string[], flags: RunFlags) => {
    const ending = endingOf(command, flags);
    process.exitCode = await runSteps(commands, flags, ending);
  });
}

async function runSteps(commands: readonly string[], flags: RunFlags, ending: Ending): Promise<number> {
  const progress = await Progress.create({ quiet: flags.quiet });
  const human = flags.json !== true;
  const controller = new AbortController();
  let phase: 'setup' | 'steps' | 'teardown' = 'setup';
  // With --attach, the runner comes from connect(); a fresh one exists from the start, to be stopped from the signal handler.
  let runner: DockerRunner | undefined =
    flags.attach === undefined
      ? new DockerRunner({ ...runnerOptions(flags), ...lifetimeOption(flags), pull: flags.pull === 'never' ? 'never' : 'missing' })
      : undefined;
  let previousIdleTimeoutMs: number | undefined;
  const trap = trapSignals((signal) => {
    log('%s: stopping', signal);
    controller.abort();
    // A step is interrupted through its signal; anything else (a pull, the start, a transfer) by removing
    // a fresh sandbox. An attached one is not ours to remove: it is detached again at the end.
    if (phase !== 'steps' && flags.attach === undefined) void runner?.stop().catch(() => {});
  });
  // Our reader went away (`| head -1`: EPIPE; a closed terminal: EIO): stop, and say nothing more.
  let outputClosed = false;
  const onOutputError = (error: NodeJS.ErrnoException): void => {
    log('output: %s', error.message);
    outputClosed = true;
    controller.abort();
    if (phase !== 'steps' && flags.attach === undefined) void runner?.stop().catch(() => {});
  };
  process.stdout.on('error', onOutputError);
  process.stderr.on('error', onOutputError);
  const interruptedCode = (): number | undefined => (trap.received ? signalExitCode(trap.received) : outputClosed ? EXIT_OUTPUT_CLOSED : undefined);

  let setUp = false;
  try {
    if (runner) {
      await pullImage(runner, flags, progress, controller.signal);
      await startRunner(runner, progress);
    } else {
      const attached = await attachSandbox(flags.attach as string, flags, progress);
      runner = attached.runner;
      previousIdleTimeoutMs = attached.idleTimeoutMs;
    }
    setUp = true;
    await forwardPorts(runner, flags.port ?? [], progress);
    await putAll(runner, flags.put ?? [], progress);
    phase = 'steps';
    const steps = await runAll(runner, commands, flags, controller.signal, progress);
    phase = 'teardown';
    const interrupted = interruptedCode();
    if (interrupted !== undefined) return interrupted;
    await drainForwards(runner);
    const { tally } = steps;
    if (human) progress.line(summaryLine(tally, commands.length, steps.durationMs));
    const gets = flags.get ?? [];
    if (gets.length > 0) {
      const sessionOver = tally.sessionEnd !== undefined;
      if (sessionOver || (tally.firstFailure !== undefined && flags.keepGoing !== true)) {
        progress.line(`--get skipped: ${sessionOver ? 'the session ended' : 'a step failed'}`);
      } else {
        try {
          await getAll(runner, gets, progress);
        } catch (error) {
          const code = reportFailure(error, 'run');
          return tally.firstFailure?.exitCode ?? code;
        }
      }
    }
    return tally.exitCode;
  } catch (error) {
    const interrupted = interruptedCode();
    if (interrupted === undefined) throw error;
    log('interrupted: %O', error);
    if (trap.received)
      progress.line(`interrupted by ${trap.received}; the sandbox is ${flags.attach === undefined || ending.kind === 'stop' ? 'removed' : 'detached again'}`);
    return interrupted;
  } finally {
    phase = 'teardown';
    // A fresh sandbox is detached only once it is set up, and not when interrupted: nobody got its id.
    const keep = flags.attach !== undefined || (setUp && interruptedCode() === undefined);
    // The ordinary end of a fresh sandbox: removed by the reaper once this process exits, not waited for.
    const ordinary = flags.attach === undefined && ending.kind === 'stop' && setUp && interruptedCode() === undefined && flags.snapshot === undefined;
    if (runner && !(ordinary && leaveToReaper(runner))) await finish(runner, keep ? ending : { kind: 'stop' }, previousIdleTimeoutMs, flags, progress);
    trap.dispose();
    // The error listeners stay: a write that is still under way may fail after this.
  }
}

/**
 * Detaches or removes the sandbox; a fresh one detached has its id printed on stdout, after the
 * steps' output (with `--json`, as a last line `{"detached":"<id>"}`).
 */
async function finish(runner: DockerRunner, ending: Ending, previousIdleTimeoutMs: number | undefined, flags: RunFlags, progress: Progress): Promise<void> {
  const left = await leaveSandbox(runner, ending, progress, { previousIdleTimeoutMs, sayRemoved: flags.attach !== undefined });
  await printDetachedId(left, flags, (id) => (flags.json ? JSON.stringify({ detached: id }) : id));
}

/** What the steps came to. */
interface StepsOutcome {
  tally: StepTally;
  durationMs: number;
}

async function runAll(runner: DockerRunner, commands: readonly string[], flags: RunFlags, signal: AbortSignal, progress: Progress): Promise<StepsOutcome> {
  const started = performance.now();
  const tally = new StepTally();
  const live = flags.json ? undefined : new LiveOutput();
  const headers = live !== undefined && progress.enabled;
  for (const [index, command] of commands.entries()) {
    if (signal.aborted) break;
    const step = index + 1;
    if (headers) process.stderr.write(stepHeader(step, commands.length, command));
    const end = await runStep(runner, command, live, signal);
    const result: StepOutcome = { step, command, end };
    tally.add(result);
    if (flags.json) {
      await writeTo(process.stdout, `${JSON.stringify(stepRecord(result))}\n`);
    } else if (headers) {
      process.stderr.write(`${live?.midLine ? '\n' : ''}${stepFooter(result, commands.length)}`);
    }
    live?.reset();
    log('step %d: %o', step, stepRecord(result));
    // No step can run once the session has ended, --keep-going or not.
    if ('closed' in end) break;
    if (stepFailed(end) && flags.keepGoing !== true) break;
  }
  return { tally, durationMs: performance.now() - started };
}
