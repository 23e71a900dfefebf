/** `docker-shell prune [--all] [--json] [--label k=v]`: removes leftover containers, see `prune()`. */
import { Command } from 'commander';
import { prune, type KeepReason, type PruneResult } from '../docker/prune.js';
import { collect, parseKeyValue } from './parse.js';

const WHY_KEPT: Record<KeepReason, string> = {
  'owner-alive': 'its owner process is alive',
  'other-host': 'its owner is on another host (--all removes it)',
  'unknown-owner': 'it has no readable owner label (--all removes it)',
};

/** The `prune` verb. */
export function pruneCommand(): Command {
  return new Command('prune')
    .description('remove docker-shell containers whose owner process (on this host) is gone')
    .option('--all', 'remove every docker-shell container, also those of live processes and other hosts')
    .option('--json', 'print the result as JSON: { removed: [id], kept: [{ id, owner, reason }] }')
    .option(
      '-l, --label <KEY=VALUE>',
      'only containers that also carry this label (repeatable), e.g. one given to `run --label`',
      collect((text) => parseKeyValue(text)),
    )
    .action(async (options: { all?: boolean; json?: boolean; label?: Array<[string, string]> }) => {
      const labels = options.label ? Object.fromEntries(options.label) : undefined;
      const result = await prune({ all: options.all === true, ...(labels ? { labels } : {}) });
      process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : describe(result));
    });
}

/** The result for people: one line per container, then a count. */
function describe(result: PruneResult): string {
  const lines = [
    ...result.removed.map((id) => `removed ${short(id)}`),
    ...result.kept.map(({ id, owner, reason }) => `kept    ${short(id)}  owner ${owner ?? '(none)'}: ${WHY_KEPT[reason]}`),
    `${result.removed.length} removed, ${result.kept.length} kept`,
  ];
  return `${lines.join('\n')}\n`;
}

function short(id: string): string {
  return id.slice(0, 12);
}
