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

/**
 * `dev.docker-shell.options`: the options the sandbox was made with (image, confinement, extra
 * labels) as JSON, so that a process connecting to it later (`DockerRunner.connect()`) knows its
 * user, workdir and writable places.
 *
 * @example
 * ```ts
 * const info = await docker.getContainer(id).inspect();
 * const madeWith = JSON.parse(info.Config.Labels[LABEL_OPTIONS] ?? '{}') as { image?: string };
 * ```
 */
export const LABEL_OPTIONS = 'dev.docker-shell.options';
/**
 * `dev.docker-shell.expires-at`: when the sandbox's `lifetimeMs` ends (ms since the epoch); absent for none.
 *
 * @example
 * ```ts
 * const info = await docker.getContainer(id).inspect();
 * const endsAt = Number(info.Config.Labels[LABEL_EXPIRES_AT] ?? Infinity);
 * ```
 */
export const LABEL_EXPIRES_AT = 'dev.docker-shell.expires-at';

/** The labels of one runner's container: ours, which runner, which process owns it, what it was made with, when it expires. */
export function runnerLabels(
  runnerId: string,
  extra: Record<string, string> = {},
  made: { options?: object; expiresAt?: number } = {},
): Record<string, string> {
  const labels: Record<string, string> = { ...extra, [LABEL_MANAGED]: 'true', [LABEL_RUNNER]: runnerId, [LABEL_OWNER]: `${hostname()}:${process.pid}` };
  if (made.options) labels[LABEL_OPTIONS] = JSON.stringify(made.options);
  if (made.expiresAt !== undefined) labels[LABEL_EXPIRES_AT] = String(made.expiresAt);
  return labels;
}
