/** Labels that mark containers as docker-shell's, so leftovers can be found and reaped. */
import { hostname } from 'node:os';

/**
 * `dev.docker-shell.managed`, set to `true` on every container docker-shell creates: what `prune()`
 * and the reaper look for.
 *
 * @example
 * ```ts
 * const ours = await docker.listContainers({ all: true, filters: { label: [`${LABEL_MANAGED}=true`] } });
 * ```
 */
export const LABEL_MANAGED = 'dev.docker-shell.managed';
/**
 * `dev.docker-shell.runner`: the id of the DockerRunner that created the container (a UUID, one
 * per runner).
 *
 * @example
 * ```ts
 * const info = await runner.docker.getContainer(runner.id!).inspect();
 * console.log(info.Config.Labels[LABEL_RUNNER]);
 * ```
 */
export const LABEL_RUNNER = 'dev.docker-shell.runner';
/**
 * `dev.docker-shell.owner`: the process that owns the container, `<hostname>:<pid>`. The reaper
 * removes the containers of its owner; `prune()` those whose owner is gone.
 *
 * @example
 * ```ts
 * const mine = await docker.listContainers({ all: true, filters: { label: [`${LABEL_OWNER}=${hostname()}:${process.pid}`] } });
 * ```
 */
export const LABEL_OWNER = 'dev.docker-shell.owner';

/** The labels of one runner's container: ours, which runner, and which process owns it. */
export function runnerLabels(runnerId: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...extra, [LABEL_MANAGED]: 'true', [LABEL_RUNNER]: runnerId, [LABEL_OWNER]: `${hostname()}:${process.pid}` };
}
