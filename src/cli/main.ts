#!/usr/bin/env node
/**
 * The `docker-shell` command: argv in, library calls out. Each verb lives in its own module
 * (`<verb>-command.ts`) and only registers itself here; this file turns failures into one line on
 * stderr and an exit code (see `failure.ts`).
 */
import { chalkStderr } from 'chalk';
import { Command, CommanderError } from 'commander';
import { UsageError, log, reportFailure } from './failure.js';
import { imageCommand } from './image-command.js';
import { lsCommand } from './ls-command.js';
import { pruneCommand } from './prune-command.js';
import { exitIfHandedOver } from './reaper-handover.js';
import { runCommand } from './run-command.js';
import { shellCommand } from './shell-command.js';
import { stopCommand } from './stop-command.js';
import { snapshotCommand } from './snapshot-command.js';
import { packageVersion } from './version.js';

// https://no-color.org: chalk itself only knows FORCE_COLOR.
if (process.env.NO_COLOR) chalkStderr.level = 0;

const program = new Command('docker-shell')
  .description('A long-lived bash session in a hardened, throw-away Docker container.')
  .version(packageVersion(), '-V, --version', 'print the version')
  .addCommand(runCommand())
  .addCommand(shellCommand())
  .addCommand(lsCommand())
  .addCommand(stopCommand())
  .addCommand(snapshotCommand())
  .addCommand(imageCommand())
  .addCommand(pruneCommand())
  .showSuggestionAfterError(true);

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
