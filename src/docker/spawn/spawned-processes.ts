/**
 * A runner's spawned processes: each gets an environment tag of its own, the running ones are
 * listed, and when the runner stops they all end with it, including those still starting.
 */
import { holdNothing } from '../pause/hold.js';
import { CommandCanceledError, SessionClosedError } from '../../errors.js';
import { SandboxProcess, spawnedExit, stopSpawned } from './sandbox-process.js';
import { spawnProcess, type SpawnContext } from './spawn-process.js';
import { checkSpawnOptions, type SpawnOptions } from './spawn-options.js';
import { spawnTag } from './spawn-scripts.js';

export class SpawnedProcesses {
  readonly #running = new Set<SandboxProcess>();
  #count = 0;
  #stopped = false;

  /**
   * Checks the arguments, gets the runner ready (`ready` throws when it cannot run anything), and
   * starts the process. A process that finishes starting after `stopAll()` is ended at once.
   */
  async spawn(command: string, options: SpawnOptions, ready: () => Promise<Omit<SpawnContext, 'tag'>>): Promise<SandboxProcess> {
    checkSpawnOptions(command, options);
    if (options.signal?.aborted) throw new CommandCanceledError(command, { cause: options.signal.reason });
    if (this.#stopped) throw stoppedError();
    const context = await ready();
    this.#count += 1;
    const process = await (context.hold ?? holdNothing)(() => spawnProcess({ ...context, tag: spawnTag(this.#count) }, command, options));
    if (this.#stopped) {
      stopSpawned(process);
      throw stoppedError();
    }
    this.#running.add(process);
    void spawnedExit(process).then(() => this.#running.delete(process));
    return process;
  }

  /** The processes still running, oldest first. */
  list(): SandboxProcess[] {
    return [...this.#running].filter((process) => process.isRunning);
  }

  /** The runner is stopping: no new process, and every running one's connection is dropped (the container's removal kills them). */
  stopAll(final = true): void {
    // Not final: the sandbox is being recycled for the next job, which may spawn again.
    this.#stopped ||= final;
    for (const process of this.#running) stopSpawned(process);
  }
}

function stoppedError(): SessionClosedError {
  return new SessionClosedError({ reason: 'stopped', detail: 'the runner was stopped' });
}
