/** `docker-shell ls [--json] [-q] [--label k=v]`: docker-shell's sandboxes, who holds each and until when; see `listSandboxes()`. */
import { hostname } from 'node:os';
import { Command } from 'commander';
import { listSandboxes, type SandboxInfo } from '../docker/detach/list-sandboxes.js';
import { writeTo } from './live-output.js';
import { collect, formatDuration, parseKeyValue } from './parse.js';
import { shortId } from './sandbox-handover.js';

interface LsFlags {
  json?: boolean;
  quiet?: boolean;
  label?: Array<[string, string]>;
}

/** The `ls` verb. */
export function lsCommand(): Command {
  return new Command('ls')
    .description('list docker-shell sandboxes, newest first: who holds each (a process, nobody: detached), how long idle, when it expires')
    .option('--json', 'print the list as JSON: [{ id, image, createdAt, holder, owner, ownerPid, paused, state, idleForMs, expiresAt, labels }]')
    .option('-q, --quiet', 'print the full ids only, one a line')
    .option(
      '-l, --label <KEY=VALUE>',
      'only sandboxes that carry this label (repeatable), e.g. one given to `run --label`',
      collect((text) => parseKeyValue(text)),
    )
    .action(async (flags: LsFlags) => {
      const labels = flags.label ? Object.fromEntries(flags.label) : undefined;
      const sandboxes = await listSandboxes(labels ? { labels } : {});
      const text = flags.json ? `${JSON.stringify(sandboxes, null, 2)}\n` : flags.quiet ? sandboxes.map(({ id }) => `${id}\n`).join('') : table(sandboxes);
      await writeTo(process.stdout, text);
    });
}

const HEADER = ['ID', 'IMAGE', 'CREATED', 'HOLDER', 'IDLE', 'EXPIRES', 'LABELS'];

/** One line per sandbox under a header, in columns as `docker ps` prints them. */
function table(sandboxes: readonly SandboxInfo[]): string {
  const rows = [HEADER, ...sandboxes.map(row)];
  const widths = HEADER.map((_, column) => Math.max(...rows.map((cells) => (cells[column] ?? '').length)));
  const lines = rows.map((cells) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
  return `${lines.join('\n')}\n`;
}

/** `3f2a1b0c9d8e  docker-shell/base:bookworm  2026-11-30 14:35:45Z  detached  12 s  2026-11-30 14:45:45Z  team=ci` */
function row(sandbox: SandboxInfo): string[] {
  return [
    shortId(sandbox.id),
    sandbox.image,
    when(sandbox.createdAt),
    holderText(sandbox),
    sandbox.idleForMs === undefined ? '-' : formatDuration(sandbox.idleForMs),
    sandbox.expiresAt === undefined ? '-' : when(sandbox.expiresAt),
    Object.entries(sandbox.labels)
      .map(([key, value]) => `${key}=${value}`)
      .join(','),
  ];
}

/** `detached`, `owned by pid 4242` (`owned by host-2:4242` for another host's), `hibernated`, `ended (exited)`; `, paused`. */
function holderText({ holder, owner, ownerPid, state, paused }: SandboxInfo): string {
  let text: string = holder;
  if (holder === 'owned') {
    const local = owner !== undefined && ownerPid !== undefined && owner === `${hostname()}:${ownerPid}`;
    text = `owned by ${local ? `pid ${ownerPid}` : (owner ?? 'an unknown process')}`;
  } else if (holder === 'ended') {
    text = `ended (${state})`;
  }
  return paused ? `${text}, paused` : text;
}

/** `2026-11-30 14:35:45Z`: UTC, to the second. */
function when(date: Date): string {
  return date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}
