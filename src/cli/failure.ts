/**
 * When the CLI itself fails: one line on stderr saying what happened and what to do, the details
 * (stack, cause, fields) under `DEBUG=docker-shell:*`, and the verb's exit code.
 */
import { inspect } from 'node:util';
import { CommanderError } from 'commander';
import createDebug from 'debug';
import { BASE_IMAGE } from '../docker/images.js';
import { DockerShellError, ImageNotFoundError, InvalidArgumentError } from '../errors.js';

/** The CLI's own log: `DEBUG=docker-shell:cli` (or `docker-shell:*`). */
export const log = createDebug('docker-shell:cli');

/**
 * `run` and `shell` exit with this when docker-shell itself failed (bad option, no engine, missing
 * image, the sandbox did not start, a transfer failed, the engine was lost), as `docker run` does,
 * so it is told apart from a step's own exit code.
 */
export const EXIT_SANDBOX_FAILURE = 125;

/** The other verbs (`prune`, `image ...`) exit with 1 when they fail. */
export const EXIT_FAILURE = 1;

/** The verbs whose own failures exit with {@link EXIT_SANDBOX_FAILURE}. */
const SANDBOX_VERBS = new Set(['run', 'shell']);

/** The exit code of a failure of `verb` (a command name, or undefined for the program itself). */
export function failureExitCode(verb: string | undefined): number {
  return verb !== undefined && SANDBOX_VERBS.has(verb) ? EXIT_SANDBOX_FAILURE : EXIT_FAILURE;
}

/** A usage error commander found while parsing `verb`'s arguments. */
export class UsageError extends Error {
  readonly verb: string | undefined;
  constructor(error: CommanderError, verb: string | undefined) {
    super(error.message.replace(/^error: /, ''), { cause: error });
    this.verb = verb;
  }
}

/**
 * A verb could not do, or declined to do, what it was asked (`stop` of an id no sandbox has, or of a
 * sandbox a live process holds): the message says why and what to do.
 */
export class VerbFailedError extends Error {
  override readonly name = 'VerbFailedError';
}

/**
 * Prints `error` as one line, `docker-shell[ verb]: <what happened, what to do>`, logs its details
 * on `docker-shell:cli`, and returns the exit code to leave with.
 */
export function reportFailure(error: unknown, verb: string | undefined): number {
  log('%s failed: %s', verb ?? 'docker-shell', inspect(error, { depth: 6 }));
  const prefix = verb === undefined ? 'docker-shell' : `docker-shell ${verb}`;
  process.stderr.write(`${prefix}: ${oneLine(error, verb)}\n`);
  return failureExitCode(verb);
}

function oneLine(error: unknown, verb: string | undefined): string {
  if (error instanceof UsageError) {
    const help = verb === undefined ? 'docker-shell --help' : `docker-shell ${verb} --help`;
    // Commander puts its suggestion on a line of its own: "unknown command 'rnu'\n(Did you mean run?)".
    return `${error.message.trim().replace(/\s*\n\s*/g, ' ')} (see ${help})`;
  }
  if (error instanceof ImageNotFoundError) return imageMissing(error);
  const message = firstLine(error instanceof Error ? error.message : String(error));
  // docker-shell's own errors say what to do; anything else is unexpected, and the details help.
  if (error instanceof DockerShellError || error instanceof InvalidArgumentError || error instanceof VerbFailedError) return message;
  return `${message} (DEBUG=docker-shell:* shows the details)`;
}

/** The library's message names its functions; on the command line, say what to type instead. */
function imageMissing(error: ImageNotFoundError): string {
  const fix =
    error.image === BASE_IMAGE
      ? '`docker-shell image build-base` builds it offline (as root)'
      : 'build it (`docker build`) or load it (`docker load`), or reach a registry that has it';
  if (error.cause === undefined) return `Image ${error.image} is not present, and --pull never forbids pulling it: ${fix}.`;
  // dockerode's messages start with "(HTTP code 500) server error - ": the engine's words follow.
  const why = error.cause instanceof Error ? ` (${firstLine(error.cause.message).replace(/^\(HTTP code \d+\) [a-z ]+ - /, '')})` : '';
  return `Image ${error.image} is not present and could not be pulled${why}: ${fix}.`;
}

function firstLine(text: string): string {
  return (text.split('\n', 1)[0] ?? '').trim() || 'failed';
}
