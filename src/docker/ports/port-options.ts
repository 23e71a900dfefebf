/** The options of `runner.forwardPort()`, and their checks where they enter. */
import { InvalidArgumentError } from '../../errors.js';
import { checkDuration, checkOptionsObject, checkString } from '../../option-checks.js';

/**
 * Options of `runner.forwardPort()`: where on the host the forward listens. Every field is
 * optional; an unknown option or a bad value rejects with `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * const forward = await runner.forwardPort(8080, { host: '127.0.0.1', hostPort: 18080 });
 * ```
 */
export interface ForwardPortOptions {
  /**
   * Host address to listen on. Default: `'127.0.0.1'`, reachable from this machine only. A wider
   * address (`'0.0.0.0'`, `'::'`, a LAN address) lets anyone who reaches it talk to the server in
   * the sandbox (see the README's security model).
   */
  host?: string;
  /** Host port to listen on; 0 picks a free one (read it from the result's `port`). Default: 0. */
  hostPort?: number;
}

const OPTION_NAMES = ['host', 'hostPort'];

/** Checks `forwardPort()`'s arguments at the door, naming the one that is wrong. */
export function checkForwardPort(containerPort: unknown, options: ForwardPortOptions): void {
  if (!isPort(containerPort) || containerPort === 0)
    throw new InvalidArgumentError('containerPort', 'a TCP port, a whole number from 1 to 65535', containerPort);
  checkOptionsObject(options, OPTION_NAMES, 'forwardPort()');
  checkString(options.host, 'host', "a host address such as '127.0.0.1'");
  if (options.hostPort !== undefined && !isPort(options.hostPort)) {
    throw new InvalidArgumentError('hostPort', 'a TCP port, a whole number from 0 (any free port) to 65535', options.hostPort);
  }
}

/**
 * Options of `forward.close()`.
 *
 * @example
 * ```ts
 * const forward = await runner.forwardPort(8080);
 * // … later: answers under way are delivered; what is still open after 2 s is reset
 * await forward.close({ graceMs: 2000 });
 * ```
 */
export interface ClosePortForwardOptions {
  /**
   * How long open connections may go on finishing (both ends closing) before the rest are reset;
   * no new connection is taken meanwhile. `Infinity` waits for them all. Default: 0, every
   * connection is reset at once.
   */
  graceMs?: number;
}

/** Checks `forward.close()`'s options at the door. */
export function checkClosePortForward(options: ClosePortForwardOptions): void {
  checkOptionsObject(options, ['graceMs'], 'forward.close()');
  if (options.graceMs !== 0) checkDuration(options.graceMs, 'graceMs');
}

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 65535;
}
