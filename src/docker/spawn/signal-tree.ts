/** Sending a signal to the process tree of a spawned process or a terminal, once, checked. */
import { constants } from 'node:os';
import { InvalidArgumentError } from '../../errors.js';

/**
 * Checks the signal's name, then sends it through `killTree` unless the tree has ended: true when
 * sent, false when it had ended (before, or while the kill was on its way).
 */
export async function signalTree(
  signal: NodeJS.Signals,
  example: string,
  isEnded: () => boolean,
  killTree: (signal: NodeJS.Signals) => Promise<void>,
): Promise<boolean> {
  if (typeof signal !== 'string' || !(signal in constants.signals)) {
    throw new InvalidArgumentError('signal', `a signal name such as "${example}" or "SIGKILL"`, signal);
  }
  if (isEnded()) return false;
  try {
    await killTree(signal);
  } catch (error) {
    // It ended meanwhile (e.g. the runner stopped): nothing left to signal.
    if (isEnded()) return false;
    throw error;
  }
  return true;
}
