/** One command from framing to completion: its two sentinel scanners, timers and outcome. */
import { performance } from 'node:perf_hooks';
import { SentinelScanner } from '../protocol/sentinel-scanner.js';
import type { CommandOutput } from './command-output.js';
import type { Interruption } from './run-options.js';
import type { SuspendableTimer } from './suspendable-timers.js';

export class InFlight {
  readonly stdoutScanner: SentinelScanner;
  readonly stderrScanner: SentinelScanner;
  readonly startedAt = performance.now();
  exitCode: number | null = null;
  interrupted: Interruption | undefined;
  readonly timers: SuspendableTimer[] = [];

  constructor(
    readonly id: string,
    readonly task: number,
    readonly command: string,
    readonly output: CommandOutput | undefined,
    readonly resolve: (exitCode: number | null) => void,
    readonly reject: (error: unknown) => void,
  ) {
    this.stdoutScanner = new SentinelScanner(id);
    this.stderrScanner = new SentinelScanner(id);
  }

  get isComplete(): boolean {
    return this.stdoutScanner.isDone && this.stderrScanner.isDone;
  }
}
