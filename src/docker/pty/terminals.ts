/**
 * A runner's terminals: each gets an environment tag of its own (the session's kills spare it), the
 * open ones are listed, and when the runner stops they all end with it, including those still opening.
 */
import { holdNothing } from '../pause/hold.js';
import { SessionClosedError } from '../../errors.js';
import type { SpawnContext } from '../spawn/spawn-process.js';
import { openPty } from './open-pty.js';
import { checkPtyOptions, type PtyOptions } from './pty-options.js';
import { ptyExit, stopPty, type SandboxPty } from './sandbox-pty.js';

export class Terminals {
  readonly #open = new Set<SandboxPty>();
  #count = 0;
  #stopped = false;

  /** Checks the options, gets the runner ready (`ready` throws when it cannot run anything), and opens the terminal. */
  async open(options: PtyOptions, ready: () => Promise<Omit<SpawnContext, 'tag'>>): Promise<SandboxPty> {
    checkPtyOptions(options);
    if (this.#stopped) throw stoppedError();
    const context = await ready();
    this.#count += 1;
    const pty = await (context.hold ?? holdNothing)(() => openPty({ ...context, tag: `pty-${this.#count}` }, options));
    if (this.#stopped) {
      stopPty(pty);
      throw stoppedError();
    }
    this.#open.add(pty);
    void ptyExit(pty).then(() => this.#open.delete(pty));
    return pty;
  }

  /** The terminals still running, oldest first. */
  list(): SandboxPty[] {
    return [...this.#open].filter((pty) => pty.isRunning);
  }

  /** The runner is stopping: no new terminal, and every open one's connection is dropped (the container's removal kills its processes). */
  stopAll(final = true): void {
    // Not final: the sandbox is being recycled for the next job, which may open terminals again.
    this.#stopped ||= final;
    for (const pty of this.#open) stopPty(pty);
  }
}

function stoppedError(): SessionClosedError {
  return new SessionClosedError({ reason: 'stopped', detail: 'the runner was stopped' });
}
