/**
 * Pure: follows the classic builder's JSON output. Text (`stream`) is cut into lines for
 * `onOutput`, `Step N/M : INSTRUCTION` lines become progress events, each step's own output is kept
 * so a failure can quote it, and `errorDetail` / `aux.ID` are remembered.
 */
import type { ImageBuildFailure } from '../../errors.js';
import type { EngineMessage } from './json-lines.js';

/**
 * A build step has started: `Step 2/5 : RUN make` is `{ step: 2, totalSteps: 5, instruction: 'RUN make' }`.
 *
 * @example
 * ```ts
 * await buildImage(docker, { tag, dockerfile, onProgress: (e) => console.log(`[${e.step}/${e.totalSteps}] ${e.instruction}`) });
 * ```
 */
export interface BuildProgressEvent {
  /** The step's number, from 1. */
  step: number;
  /** How many steps the Dockerfile has. */
  totalSteps: number;
  /** The instruction as the builder printed it, e.g. `RUN make`. */
  instruction: string;
}

/** A step's log keeps its last this many lines (what a failure needs; `onOutput` sees them all). */
export const MAX_STEP_LOG_LINES = 2000;

const STEP = /^Step (\d+)\/(\d+) : (.*)$/;
/** The builder's own bookkeeping lines: not part of a step's log. */
const BOOKKEEPING = /^( ---> (Running in [0-9a-f]+|Using cache|[0-9a-f]{12,64})|Removing intermediate container [0-9a-f]+|Successfully (built|tagged) .*)$/;

export interface BuildOutputHandlers {
  onLine?: (line: string) => void;
  onStep?: (event: BuildProgressEvent) => void;
}

export class BuildOutputParser {
  readonly #handlers: BuildOutputHandlers;
  #partial = '';
  #step: BuildProgressEvent | undefined;
  #stepLog: string[] = [];
  #error: { message: string; code: number | undefined } | undefined;
  #imageId: string | undefined;

  constructor(handlers: BuildOutputHandlers = {}) {
    this.#handlers = handlers;
  }

  /** The step running (or last started). */
  get step(): BuildProgressEvent | undefined {
    return this.#step;
  }

  /** The current step's output lines so far (the last {@link MAX_STEP_LOG_LINES}). */
  get stepLog(): readonly string[] {
    return this.#stepLog.slice(-MAX_STEP_LOG_LINES);
  }

  /** The built image's id (`sha256:...`), once the engine has said it. */
  get imageId(): string | undefined {
    return this.#imageId;
  }

  /** The engine's error, if the build failed. */
  get error(): { message: string; code: number | undefined } | undefined {
    return this.#error;
  }

  /** What failed, for `ImageBuildError`; undefined while nothing has. */
  failure(): ImageBuildFailure | undefined {
    if (!this.#error) return undefined;
    return {
      step: this.#step?.instruction,
      stepNumber: this.#step?.step,
      totalSteps: this.#step?.totalSteps,
      log: this.#stepLog.slice(-MAX_STEP_LOG_LINES),
      detail: this.#error.message,
      exitCode: this.#error.code,
    };
  }

  push(message: EngineMessage): void {
    if (message.error !== undefined || message.errorDetail !== undefined) {
      this.#flush();
      const code = message.errorDetail?.code;
      this.#error = {
        message: (message.errorDetail?.message ?? message.error ?? 'unknown error').trim(),
        code: typeof code === 'number' ? code : undefined,
      };
      return;
    }
    const id = message.aux?.ID;
    if (typeof id === 'string') this.#imageId = id;
    if (typeof message.stream === 'string') {
      this.#text(message.stream);
    } else if (typeof message.status === 'string' && message.status !== '') {
      // A FROM image being pulled: keep its status lines, skip the byte-by-byte progress.
      if (message.progressDetail && typeof message.progressDetail.current === 'number') return;
      this.#flush();
      this.#line(message.id ? `${message.id}: ${message.status}` : message.status);
    }
  }

  /** The end of the output: delivers a last line that had no newline. */
  end(): void {
    this.#flush();
  }

  #text(text: string): void {
    const lines = (this.#partial + text).split('\n');
    this.#partial = lines.pop() ?? '';
    for (const line of lines) this.#line(line.endsWith('\r') ? line.slice(0, -1) : line);
  }

  #flush(): void {
    if (this.#partial === '') return;
    const line = this.#partial;
    this.#partial = '';
    this.#line(line.endsWith('\r') ? line.slice(0, -1) : line);
  }

  #line(line: string): void {
    this.#handlers.onLine?.(line);
    const step = STEP.exec(line);
    if (step) {
      this.#step = { step: Number(step[1]), totalSteps: Number(step[2]), instruction: step[3] ?? '' };
      this.#stepLog = [];
      this.#handlers.onStep?.(this.#step);
      return;
    }
    if (BOOKKEEPING.test(line)) return;
    // What a terminal would show of a line redrawn with carriage returns: its last state.
    const shown = line.slice(line.lastIndexOf('\r') + 1);
    this.#stepLog.push(shown);
    if (this.#stepLog.length > MAX_STEP_LOG_LINES * 2) this.#stepLog = this.#stepLog.slice(-MAX_STEP_LOG_LINES);
  }
}
