/**
 * The sandbox of a `shell` (line mode and `--tty`): a fresh one, or with `--attach` a detached one
 * taken over; at the end removed, or detached (see sandbox-handover.ts).
 */
import { DockerRunner } from '../docker/docker-runner.js';
import type { Progress } from './progress.js';
import { runnerOptions } from './sandbox-flags.js';
import { attachSandbox, leaveSandbox, lifetimeOption, printDetachedId, type Ending } from './sandbox-handover.js';
import { pullImage, startRunner } from './sandbox-session.js';
import type { ShellFlags } from './shell-command.js';

/** A shell's sandbox, from `open()` to `leave()`. */
export class ShellSandbox {
  readonly #flags: ShellFlags;
  readonly #ending: Ending;
  readonly #progress: Progress;
  #runner: DockerRunner | undefined;
  #previousIdleTimeoutMs: number | undefined;
  #open = false;

  constructor(flags: ShellFlags, ending: Ending, progress: Progress) {
    this.#flags = flags;
    this.#ending = ending;
    this.#progress = progress;
    // A fresh runner exists at once, so that a signal during the pull or the start can stop it.
    if (flags.attach === undefined)
      this.#runner = new DockerRunner({ ...runnerOptions(flags), ...lifetimeOption(flags), pull: flags.pull === 'never' ? 'never' : 'missing' });
  }

  /** The runner once `open()` has resolved. */
  get runner(): DockerRunner | undefined {
    return this.#runner;
  }

  /** Starts the fresh sandbox (pulling its image first), or connects to the detached one. */
  async open(signal: AbortSignal): Promise<DockerRunner> {
    if (this.#runner) {
      await pullImage(this.#runner, this.#flags, this.#progress, signal);
      await startRunner(this.#runner, this.#progress);
    } else {
      const attached = await attachSandbox(this.#flags.attach as string, this.#flags, this.#progress);
      this.#runner = attached.runner;
      this.#previousIdleTimeoutMs = attached.idleTimeoutMs;
    }
    this.#open = true;
    return this.#runner;
  }

  /** A signal while setting up: a fresh sandbox goes at once (an attached one is detached again by `leave()`). */
  interrupt(): void {
    if (this.#flags.attach === undefined) void this.#runner?.stop().catch(() => {});
  }

  /**
   * Removes or detaches the sandbox, and says so. A fresh sandbox is detached only when it was set
   * up and the shell was left, not interrupted by a signal: then its id goes to stdout.
   */
  async leave(interrupted: boolean): Promise<void> {
    const runner = this.#runner;
    if (!runner) return;
    const fresh = this.#flags.attach === undefined;
    const keep = !fresh || (this.#open && !interrupted);
    const left = await leaveSandbox(runner, keep ? this.#ending : { kind: 'stop' }, this.#progress, {
      previousIdleTimeoutMs: this.#previousIdleTimeoutMs,
      sayRemoved: true,
    });
    await printDetachedId(left, this.#flags);
  }
}
