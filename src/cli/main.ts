#!/usr/bin/env node
/**
 * The `docker-shell` command: argv in, library calls out. Each verb lives in its own module
 * (`<verb>-command.ts`) and only registers itself here; this file turns failures into one line on
 * stderr and an exit code (see `failure.ts`).
 */
import { chalkStderr } from 'chalk';
import { Command, CommanderError } from 'commander';
import { UsageError, log, reportFailure } from './failure.js';
import { exitIfHandedOver } from './reaper-handover.js';
import { packageVersion } from './version.js';

// https://no-color.org: chalk itself only knows FORCE_COLOR.
if (process.env.NO_COLOR) chalkStderr.level = 0;

/** The verbs, in the order help lists them, each loaded on demand: a verb's modules cost start-up time. */
const VERBS = new Map<string, () => Promise<Command>>([
  ['run', async () => (await import('./run-command.js')).runCommand()],
  ['shell', async () => (await import('./shell-command.js')).shellCommand()],
  ['ls', async () => (await import('./ls-command.js')).lsCommand()],
  ['stop', async () => (await import('./stop-command.js')).stopCommand()],
  ['snapshot', async () => (await import('./snapshot-command.js')).snapshotCommand()],
  ['image', async () => (await import('./image-command.js')).imageCommand()],
  ['prune', async () => (await import('./prune-command.js')).pruneCommand()],
]);

// `docker-shell run ...` needs only `run`; anything else (help, a typo to suggest a verb for) all of them.
const named = VERBS.get(process.argv[2] ?? '');
const verbs = await Promise.all(named ? [named()] : [...VERBS.values()].map((load) => load()));

const program = new Command('docker-shell')
  .description('A long-lived bash session in a hardened, throw-away Docker container.')
  .version(packageVersion(), '-V, --version', 'print the version')
  .showSuggestionAfterError(true);
for (const verb of verbs) program.addCommand(verb);

/** The verb whose action is running, for the exit code of its failures. */
let verb: string | undefined;
program.hook('preAction', (_program, action) => {
  verb = verbOf(action);
  log('%s %o', verb, action.opts());
});

/** Usage errors come back here as a `UsageError` naming the verb, instead of commander exiting. */
function configure(command: Command): void {
  command.configureOutput({ outputError: () => {} }).exitOverride((error) => {
    throw new UsageError(error, command === program ? undefined : verbOf(command));
  });
  command.commands.forEach(configure);
}
configure(program);

/** `run`, `image ensure`...: the command's path below the program. */
function verbOf(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at && at !== program; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

try {
  await program.parseAsync();
} catch (error) {
  const commanderError = error instanceof UsageError ? (error.cause as CommanderError) : undefined;
  if (commanderError && (commanderError.exitCode === 0 || commanderError.code === 'commander.help')) {
    // --help, --version, or help shown for a missing verb: commander has printed it.
    process.exitCode = commanderError.exitCode;
  } else {
    process.exitCode = reportFailure(error, error instanceof UsageError ? error.verb : verb);
  }
}
await exitIfHandedOver();
