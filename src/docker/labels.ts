/** Labels that mark containers as docker-shell's, so leftovers can be found and reaped. */
import { hostname } from 'node:os';

export const LABEL_MANAGED = 'dev.docker-shell.managed';
export const LABEL_RUNNER = 'dev.docker-shell.runner';
export const LABEL_OWNER = 'dev.docker-shell.owner';

/** The labels of one runner's container: ours, which runner, and which process owns it. */
export function runnerLabels(runnerId: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...extra, [LABEL_MANAGED]: 'true', [LABEL_RUNNER]: runnerId, [LABEL_OWNER]: `${hostname()}:${process.pid}` };
}
