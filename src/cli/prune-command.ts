/** `docker-shell prune [--all] [--dry-run] [--json] [--label k=v]`: removes leftover containers, see `prune()`. */
import { Command } from 'commander';
import { prune, type KeepReason, type PruneCandidate, type PruneResult } from '../docker/prune.js';
import { collect, parseKeyValue } from './parse.js';

const OWNER_IS: Record<KeepReason, string> = {
  'owner-alive': 'its owner process is alive',
  'other-host': 'its owner is on another host',
  'unknown-owner': 'it has no readable owner label',
  detached: 'it is detached',
  hibernated: 'it is hibernated',
};

/** What `--all` would change, said after why a container is kept. */
const ALL_WOULD: Record<KeepReason, string> = {
  'owner-alive': '',
  'other-host': ' (--all removes it)',
  'unknown-owner': ' (--all removes it)',
  detached: ' (--all removes it)',
  hibernated: ' (--all removes it)',
};

interface PruneFlags {
  all?: boolean;
  dryRun?: boolean;
  json?: boolean;
  label?: Array<[string, string]>;
}

/** The `prune` verb. */
export function pruneCommand(): Command {
  return new Command('prune')
    .description('remove docker-shell containers whose owner process (on this host) is gone')
    .option('--all', 'remove every docker-shell container, also those of live processes and other hosts')
    .option('-n, --dry-run', 'list what would be removed and why, and remove nothing')
    .option('--json', 'print the result as JSON: { dryRun, removed: [id], leftovers: [{ id, image, state, owner, reason, keepReason }], kept: [...] }')
    .option(
      '-l, --label <KEY=VALUE>',
      'only containers that also carry this label (repeatable), e.g. one given to `run --label`',
      collect((text) => parseKeyValue(text)),
    )
    .action(async (flags: PruneFlags) => {
      const labels = flags.label ? Object.fromEntries(flags.label) : undefined;
      const result = await prune({ all: flags.all === true, dryRun: flags.dryRun === true, ...(labels ? { labels } : {}) });
      process.stdout.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : describe(result));
    });
}

/**
 * The result for people: one line per container (what happened to it, its id, image, state and
 * owner, and why), then a count. A dry run says "would remove" where a real one says "removed".
 */
function describe(result: PruneResult): string {
  const verb = result.dryRun ? 'would remove' : 'removed';
  const width = verb.length;
  const lines = [
    ...result.leftovers.map((container) => {
      const why =
        container.keepReason !== undefined
          ? `--all, although ${OWNER_IS[container.keepReason]}`
          : container.reason === 'expired'
            ? `it expired${container.expiresAt === undefined ? '' : ` at ${new Date(container.expiresAt).toISOString()}`}`
            : 'its owner process is gone';
      return `${verb.padEnd(width)} ${about(container)}: ${why}`;
    }),
    ...result.kept.map((container) => {
      const until = container.expiresAt === undefined ? '' : ` until ${new Date(container.expiresAt).toISOString()}`;
      return `${'kept'.padEnd(width)} ${about(container)}: ${OWNER_IS[container.reason]}${until}${ALL_WOULD[container.reason]}`;
    }),
    result.dryRun
      ? `${result.leftovers.length} would be removed, ${result.kept.length} kept (dry run: nothing was removed)`
      : `${result.removed.length} removed, ${result.kept.length} kept`,
  ];
  return `${lines.join('\n')}\n`;
}

/** `3f2a1b0c9d8e  docker-shell/base:bookworm  exited  owner host:4242` */
function about({ id, image, state, owner }: PruneCandidate): string {
  return `${id.slice(0, 12)}  ${image}  ${state}  owner ${owner ?? '(none)'}`;
}
