/**
 * `docker-shell snapshot ID [--name NAME] [--label K=V] [--json]`: snapshots a detached sandbox (its
 * files and its session's shell state, see `runner.snapshot()`), which is then detached again as it
 * was; prints the snapshot's name on stdout, for `run --snapshot NAME` or `shell --snapshot NAME`.
 */
import { Command } from 'commander';
import { DEFAULT_TIMEOUT_MS } from '../docker/docker-runner.js';
import { writeTo } from './live-output.js';
import { collect, parseKeyValue } from './parse.js';
import { Progress } from './progress.js';
import { attachSandbox, leaveSandbox, shortId } from './sandbox-handover.js';

interface SnapshotFlags {
  name?: string;
  label?: Array<[string, string]>;
  json?: boolean;
}

/** The `snapshot` verb. */
export function snapshotCommand(): Command {
  return new Command('snapshot')
    .description('snapshot a detached sandbox (its files and its shell state), which stays detached; prints the snapshot name')
    .argument('<id>', 'a detached sandbox: its id, or a unique start of it, as `docker-shell ls` or `run --detach` print it')
    .option('--name <name>', 'the snapshot name (an image tag: letters, digits, . _ -); default: a generated one')
    .option(
      '-l, --label <KEY=VALUE>',
      'a label for the snapshot image (repeatable)',
      collect((text) => parseKeyValue(text)),
    )
    .option('--json', 'print the snapshot as JSON (id, ref, name, createdAt, labels, places, processes not carried)')
    .action(async (id: string, flags: SnapshotFlags) => {
      const progress = await Progress.create();
      const { runner, idleTimeoutMs } = await attachSandbox(id, { timeout: DEFAULT_TIMEOUT_MS }, progress);
      try {
        const task = progress.task(`snapshotting sandbox ${shortId(runner.id)}`);
        const snapshot = await runner
          .snapshot({ ...(flags.name ? { name: flags.name } : {}), ...(flags.label ? { labels: Object.fromEntries(flags.label) } : {}) })
          .catch((error: unknown) => {
            task.stop();
            throw error;
          });
        task.succeed(`snapshot ${snapshot.ref} taken (background processes not carried: ${snapshot.processes.length})`);
        await writeTo(process.stdout, flags.json ? `${JSON.stringify(snapshot, null, 2)}\n` : `${snapshot.ref}\n`);
      } finally {
        // Detached again with the idle limit it had, whatever happened.
        await leaveSandbox(runner, { kind: 'detach', idleTimeoutMs: undefined }, progress, { previousIdleTimeoutMs: idleTimeoutMs, sayRemoved: true });
      }
    });
}
