/**
 * `docker-shell stop [--force] ID...`: removes sandboxes by id. A detached one is taken over and
 * stopped (so one another process connects to at that moment is left to it); an ended or hibernated
 * one, which nobody can connect to, is removed directly; one a live process holds is refused, unless
 * `--force`, which removes it under that process (its runner then fails as the container is gone).
 */
import { Command } from 'commander';
import { DockerRunner } from '../docker/docker-runner.js';
import { listSandboxes, type SandboxHolder, type SandboxInfo } from '../docker/detach/list-sandboxes.js';
import { removeSandbox } from '../docker/detach/remove-sandbox.js';
import { resolveDocker } from '../docker/docker-client.js';
import { SandboxHeldError, SandboxNotFoundError } from '../errors.js';
import { EXIT_FAILURE, VerbFailedError, log, reportFailure } from './failure.js';
import { writeTo } from './live-output.js';
import { shortId } from './sandbox-handover.js';

interface StopFlags {
  force?: boolean;
}

/** What `removed ...` says the sandbox was. */
const WAS: Record<SandboxHolder, string> = {
  detached: 'it was detached',
  hibernated: 'it was hibernated',
  ended: 'its shell had ended',
  owned: 'its holder was gone',
};

/** The `stop` verb. */
export function stopCommand(): Command {
  return new Command('stop')
    .description('remove sandboxes: detached, hibernated and ended ones; one a live process holds only with --force')
    .argument('<ids...>', 'sandbox ids, or unique starts of them, as `docker-shell ls` or `run --detach` print them')
    .option('-f, --force', 'also remove sandboxes that a live process holds (its runner then fails: the container is gone)')
    .action(async (ids: string[], flags: StopFlags) => {
      const sandboxes = await listSandboxes();
      let failed = false;
      for (const id of ids) {
        try {
          const line = await stopOne(find(sandboxes, id), flags.force === true);
          await writeTo(process.stdout, `${line}\n`);
        } catch (error) {
          reportFailure(error, 'stop');
          failed = true;
        }
      }
      if (failed) process.exitCode = EXIT_FAILURE;
    });
}

/** The sandbox whose id is `id` or starts with it. */
function find(sandboxes: readonly SandboxInfo[], id: string): SandboxInfo {
  const matches = sandboxes.filter((sandbox) => sandbox.id === id || (id !== '' && sandbox.id.startsWith(id)));
  const [match, other] = matches;
  if (!match) throw new VerbFailedError(`no docker-shell sandbox has an id that starts with ${id}: \`docker-shell ls\` lists them`);
  if (other)
    throw new VerbFailedError(`${id} starts the ids of ${matches.length} sandboxes (${matches.map((m) => shortId(m.id)).join(', ')}): give more of it`);
  return match;
}

/** Removes one sandbox as its holder allows; resolves with the line saying so. */
async function stopOne(sandbox: SandboxInfo, force: boolean): Promise<string> {
  const docker = resolveDocker(undefined);
  const { id, holder } = sandbox;
  if (holder === 'ended' || holder === 'hibernated') {
    await removeSandbox(docker, id);
    return `removed ${shortId(id)} (${WAS[holder]})`;
  }
  try {
    // Detached, or held by a process that may be gone: taking it over first means no one else has it.
    const runner = await DockerRunner.connect(id, { docker });
    await runner.stop();
    return `removed ${shortId(id)} (${WAS[holder]})`;
  } catch (error) {
    log('connect %s: %O', id, error);
    if (error instanceof SandboxNotFoundError && error.reason === 'ended') {
      await removeSandbox(docker, id);
      // Owned: its holder died (no reaper removed it); detached: its shell ended meanwhile (it expired).
      return `removed ${shortId(id)} (${holder === 'owned' ? WAS.owned : WAS.ended})`;
    }
    if (!(error instanceof SandboxHeldError)) throw error;
    const who = error.owner === undefined ? 'another process' : `process ${error.owner}`;
    if (!force)
      throw new VerbFailedError(
        `sandbox ${shortId(id)} is held by ${who}, which is alive: not removed (--force removes it anyway, and that process's runner fails)`,
      );
    await removeSandbox(docker, id);
    return `removed ${shortId(id)} (--force: it was held by ${who})`;
  }
}
