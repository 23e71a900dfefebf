/**
 * A runner's extra shells: their number (bounded by `maxShells`), their tags, and their end with the
 * runner's.
 */
import { SessionClosedError, ShellLimitError, type SessionCloseInfo } from '../../errors.js';
import { SandboxShell, type ShellContext, type ShellOptions } from './sandbox-shell.js';

/** Default bound on a runner's extra shells: each is a bash and a connection to the engine. */
export const DEFAULT_MAX_SHELLS = 8;

export class ShellSet {
  readonly #max: number;
  readonly #open = new Set<SandboxShell>();
  #opening = 0;
  #opened = 0;
  #ended: SessionCloseInfo | undefined;

  constructor(max: number) {
    this.#max = max;
  }

  /** Opens one more shell, unless `maxShells` are open or on their way (counted at once, so concurrent calls cannot overshoot). */
  async open(context: ShellContext, options: ShellOptions): Promise<SandboxShell> {
    if (this.#ended) throw new SessionClosedError(this.#ended);
    if (this.#open.size + this.#opening >= this.#max) throw new ShellLimitError(this.#max);
    this.#opening += 1;
    try {
      // Tags are never reused: a shell's leftover background jobs keep the tag of the shell that started them.
      const shell = await SandboxShell.open(context, `s${++this.#opened}`, options);
      if (this.#ended) {
        shell.destroy(this.#ended);
        throw new SessionClosedError(this.#ended);
      }
      this.#open.add(shell);
      void shell.closed.then(() => this.#open.delete(shell));
      return shell;
    } finally {
      this.#opening -= 1;
    }
  }

  /** The runner ended: every shell ends with it, and no more open. */
  endAll(info: SessionCloseInfo, final = true): void {
    // Not final: the sandbox is being recycled for the next job, which may open shells again.
    if (final) this.#ended ??= info;
    for (const shell of this.#open) shell.destroy(info);
  }
}
