/**
 * Whether this engine can run the hibernate tests: gVisor registered as `runsc` and the engine's
 * experimental features on (`npm run setup`, scripts/ensure-docker.sh, sets up both as root on
 * Debian). In CI both are required: a missing one FAILS; elsewhere the files skip.
 */
import type Dockerode from 'dockerode';
import { attachShell } from '../../../src/docker/attach-transport.js';
import { containerSpec } from '../../../src/docker/container-spec.js';
import { resolveSandbox, type SandboxOptions } from '../../../src/docker/sandbox-options.js';
import { RUNNER_SESSION_TAG } from '../../../src/docker/session-control.js';
import { Session } from '../../../src/session/session.js';
import { BASE_IMAGE } from '../../../src/docker/images.js';
import { LABEL_MANAGED } from '../../../src/docker/labels.js';
import { docker } from '../../helpers/docker.js';

export const RUNTIME = 'runsc';
export const inCi = !['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase());
const engine = (await docker.info()) as { Runtimes?: Record<string, unknown>; ExperimentalBuild?: boolean };
export const hasGvisor = Object.hasOwn(engine.Runtimes ?? {}, RUNTIME);
export const isExperimental = engine.ExperimentalBuild === true;
export const canHibernate = hasGvisor && isExperimental;
export const whyNot =
  `the engine needs the runtime '${RUNTIME}' (has it: ${hasGvisor}) and experimental features (on: ${isExperimental}); ` +
  'run `bash scripts/ensure-docker.sh` as root on Debian';

/** Label of this directory's containers, so a test removes only its own. */
export const TEST_LABEL = 'dev.docker-shell.test-hibernate';

/** A session under the runtime's own attach, as a runner makes one, with `StdinOnce` as given. */
export async function startShell(stdinOnce: boolean, options: SandboxOptions = {}): Promise<{ container: Dockerode.Container; session: Session }> {
  const spec = containerSpec({
    image: BASE_IMAGE,
    sandbox: resolveSandbox({ runtime: RUNTIME, ...options }),
    labels: { [LABEL_MANAGED]: 'true', [TEST_LABEL]: 'true' },
  });
  const container = await docker.createContainer({ ...spec, StdinOnce: stdinOnce });
  const { transport } = await attachShell(container);
  await container.start();
  return { container, session: await Session.open(transport, { tag: RUNNER_SESSION_TAG }) };
}
