/**
 * Ctrl-C and friends while docker-shell works: the first SIGINT / SIGTERM / SIGHUP asks the work
 * to stop (the caller interrupts the running command and removes the sandbox); a second SIGINT or
 * SIGTERM exits at once, leaving the container to the reaper. A hang-up often comes twice (from
 * the terminal, then from the session leader's end), so a second SIGHUP changes nothing.
 */
import { constants } from 'node:os';

const TRAPPED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type TrappedSignal = (typeof TRAPPED)[number];

/** The conventional exit code after `signal`: 128 + its number (130 for SIGINT). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/** The signals trapped so far, and how to stop trapping them. */
export interface SignalTrap {
  /** The first signal received, if any. */
  readonly received: NodeJS.Signals | undefined;
  dispose(): void;
}

/** Traps SIGINT, SIGTERM and SIGHUP until `dispose()`. */
export function trapSignals(onSignal: (signal: NodeJS.Signals) => void = () => {}): SignalTrap {
  let received: NodeJS.Signals | undefined;
  const handler = (signal: TrappedSignal): void => {
    if (received !== undefined) {
      if (signal !== 'SIGHUP') process.exit(signalExitCode(received));
      return;
    }
    received = signal;
    onSignal(signal);
  };
  for (const name of TRAPPED) process.on(name, handler);
  return {
    get received() {
      return received;
    },
    dispose: () => {
      for (const name of TRAPPED) process.off(name, handler);
    },
  };
}
