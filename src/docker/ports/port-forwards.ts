/**
 * A runner's port forwards: each relay gets an environment tag of its own (so a command's kill
 * spares it), and when the runner stops every forward closes with it, including those still opening.
 */
import { SessionClosedError } from '../../errors.js';
import { tagVariable } from '../spawn/spawn-scripts.js';
import { openForward, type PortForward } from './port-forward.js';
import { checkForwardPort, type ForwardPortOptions } from './port-options.js';
import type { RelayTarget } from './relay.js';
import { holdNothing, type Hold } from '../pause/hold.js';

export class PortForwards {
  readonly #open = new Set<PortForward>();
  #count = 0;
  #stopped = false;

  /** Checks the arguments, gets the runner ready (`ready` throws when it cannot), and opens the forward. */
  async forward(
    containerPort: number,
    options: ForwardPortOptions,
    ready: () => Promise<Omit<RelayTarget, 'tagVariable'> & { hold?: Hold }>,
  ): Promise<PortForward> {
    checkForwardPort(containerPort, options);
    if (this.#stopped) throw stoppedError();
    const target = await ready();
    this.#count += 1;
    const relayTarget = { container: target.container, user: target.user, tagVariable: tagVariable(`port-${this.#count}`) };
    const forward = await (target.hold ?? holdNothing)(() => openForward(relayTarget, containerPort, options.host ?? '127.0.0.1', options.hostPort ?? 0));
    if (this.#stopped) {
      await forward.close();
      throw stoppedError();
    }
    this.#open.add(forward);
    void forward.closed.then(() => this.#open.delete(forward));
    return forward;
  }

  /** The forwards still open, oldest first. */
  list(): PortForward[] {
    return [...this.#open];
  }

  /** The runner is stopping: no new forward, and every open one closes. */
  async closeAll(final = true): Promise<void> {
    // Not final: the sandbox is being recycled for the next job, which may forward ports again.
    this.#stopped ||= final;
    await Promise.all([...this.#open].map((forward) => forward.close()));
  }
}

function stoppedError(): SessionClosedError {
  return new SessionClosedError({ reason: 'stopped', detail: 'the runner was stopped' });
}
