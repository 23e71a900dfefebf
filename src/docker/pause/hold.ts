/**
 * The seam between the freezer and the capabilities that start processes in the sandbox through the
 * engine (exec): the engine refuses those while the sandbox is paused, so they run inside a hold.
 */

/** Runs `start` once the sandbox is not paused; a pause meanwhile waits for it to settle. */
export type Hold = <T>(start: () => Promise<T>) => Promise<T>;

/** The hold of a sandbox that is never paused: at once. */
export const holdNothing: Hold = (start) => start();
