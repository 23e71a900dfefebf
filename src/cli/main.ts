#!/usr/bin/env node
/**
 * The `docker-shell` command: argv in, library calls out. Each verb lives in its own module
 * (`<verb>-command.ts`) and only registers itself here.
 */
import { Command } from 'commander';
import { pruneCommand } from './prune-command.js';

const program = new Command('docker-shell')
  .description('A long-lived bash session in a throw-away Docker container: maintenance commands.')
  .addCommand(pruneCommand());

try {
  await program.parseAsync();
} catch (error) {
  // One clear line; commander's own usage errors have already been printed and exited with 1.
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`docker-shell: ${message.split('\n', 1)[0]}\n`);
  process.exitCode = 1;
}
