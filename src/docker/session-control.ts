/**
 * How a session in the sandbox stops a timed-out or canceled command: a `docker exec` of the kill
 * script. Every session of a sandbox (the runner's own, each extra shell) has its own tag, which its
 * bash carries in its environment and its commands in theirs, so a kill in one spares the others.
 */
import type Dockerode from 'dockerode';
import { TASK_VARIABLE } from '../protocol/command-framing.js';
import { killCommand } from '../protocol/kill-script.js';
import type { SessionControl } from '../session/session.js';
import { execInContainer } from './exec.js';
import { holdNothing, type Hold } from './pause/hold.js';

/** The tag of the runner's own session (its bash has it from the container's environment). */
export const RUNNER_SESSION_TAG = 'm';

/** The environment entry that gives a session's bash its tag. */
export function tagEntry(tag: string): string {
  return `${TASK_VARIABLE}=${tag}`;
}

/**
 * Kills a command's processes, as `user`, with a `docker exec`; `abandon` gives the session up.
 * `hold` runs the exec once the sandbox is not paused (the engine refuses an exec in a paused one).
 */
export function killControl(container: Dockerode.Container, user: string, abandon: () => void, hold: Hold = holdNothing): SessionControl {
  return {
    interrupt: ({ shellPid, tag, elapsedMs, sessionTag }) =>
      hold(() => execInContainer(container, killCommand(shellPid, tag, elapsedMs, 'container', sessionTag), user)),
    abandon,
  };
}
