/**
 * The sandbox's flags, shared by `run` and `shell`: each mirrors a `DockerRunnerOptions` field, and
 * is parsed and checked where it enters, so a bad value is a usage error naming the flag.
 */
import { Option, type Command } from 'commander';
import type { DockerRunnerOptions } from '../docker/docker-runner.js';
import { BASE_IMAGE, type PullPolicy } from '../docker/images.js';
import { SANDBOX_DEFAULTS } from '../docker/sandbox-options.js';
import { collect, parseDuration, parseKeyValue, parsePortSpec, parsePositiveInteger, parsePositiveNumber, parseSize, type PortSpec } from './parse.js';

/** What commander hands the action for the flags added by {@link addSandboxFlags}. */
export interface SandboxFlags {
  image: string;
  network: string;
  user?: string;
  workdir?: string;
  env?: Array<[string, string]>;
  memory?: number;
  cpus?: number;
  pids?: number;
  openFiles?: number;
  readOnly?: boolean;
  disk?: number;
  runtime?: string;
  capAdd?: string[];
  timeout: number;
  maxOutput?: number;
  label?: Array<[string, string]>;
  pull: PullPolicy;
  quiet?: boolean;
  port?: PortSpec[];
}

/** Adds the sandbox's flags to `command`; `timeout` is its default per-command timeout, as typed (`5m`, `none`). */
export function addSandboxFlags(command: Command, defaults: { timeout: string; timeoutHelp: string }): Command {
  return command
    .option('-i, --image <name>', 'image to run (it must have bash)', BASE_IMAGE)
    .option('--network <name>', "'none' (no interface but loopback), 'bridge' (Docker's default), or a network's name", 'none')
    .option('-u, --user <user>', `user of the shell, uid[:gid] or a name (default: ${SANDBOX_DEFAULTS.user}, nobody)`)
    .option('-w, --workdir <path>', `working directory, also HOME (default: ${SANDBOX_DEFAULTS.workdir})`)
    .option(
      '-e, --env <KEY=VALUE>',
      'an environment variable (repeatable); a bare KEY passes this one’s value on',
      collect((text) => parseKeyValue(text, true)),
    )
    .option('-m, --memory <size>', `memory limit, swap the same, e.g. 512m, 2g (default: ${SANDBOX_DEFAULTS.memory})`, parseSize)
    .option('--cpus <n>', `CPU quota, fractions allowed (default: ${SANDBOX_DEFAULTS.cpus})`, parsePositiveNumber)
    .option('--pids <n>', `most processes and threads (default: ${SANDBOX_DEFAULTS.pids})`, parsePositiveInteger)
    .option('--open-files <n>', `ulimit -n (default: ${SANDBOX_DEFAULTS.openFiles})`, parsePositiveInteger)
    .option('--read-only', 'read-only root, with tmpfs /tmp, /var/tmp, /run/lock and workdir (default, but for root)')
    .option('--no-read-only', 'writable root (default for root), its layer bounded by --disk')
    .option('--disk <size>', `most each writable place (or a writable root) holds, e.g. 256m, 2g (default: ${SANDBOX_DEFAULTS.disk})`, parseSize)
    .option('--runtime <name>', "Docker runtime, e.g. 'runsc' for gVisor (default: the engine's)")
    .option('--cap-add <capability>', 'give a capability back, e.g. CHOWN (repeatable; all are dropped)', collect(String))
    .addOption(new Option('-t, --timeout <duration>', defaults.timeoutHelp).default(parseDuration(defaults.timeout), defaults.timeout).argParser(parseDuration))
    .option('--max-output <size>', 'most output a result keeps, e.g. 16m (default: 16m)', parseSize)
    .option(
      '-l, --label <KEY=VALUE>',
      'an extra label on the container (repeatable)',
      collect((text) => parseKeyValue(text)),
    )
    .option(
      '-p, --port <[HOST_PORT:]CONTAINER_PORT>',
      'reach a server in the sandbox from 127.0.0.1:HOST_PORT (any free port if left out; the network stays off; repeatable)',
      collect(parsePortSpec),
    )
    .addOption(new Option('--pull <policy>', 'when to pull the image').choices(['missing', 'never', 'always']).default('missing'))
    .option('-q, --quiet', "no progress, spinner or docker-shell's own lines on stderr (errors still print)");
}

/** The library's options for these flags. `pull` is left to the caller, which pulls with progress first. */
export function runnerOptions(flags: SandboxFlags): DockerRunnerOptions {
  const options: DockerRunnerOptions = {
    image: flags.image,
    network: flags.network === 'none' ? false : flags.network,
    timeoutMs: flags.timeout,
  };
  if (flags.user !== undefined) options.user = flags.user;
  if (flags.workdir !== undefined) options.workdir = flags.workdir;
  if (flags.env) options.env = Object.fromEntries(flags.env);
  if (flags.memory !== undefined) options.memory = flags.memory;
  if (flags.cpus !== undefined) options.cpus = flags.cpus;
  if (flags.pids !== undefined) options.pids = flags.pids;
  if (flags.openFiles !== undefined) options.openFiles = flags.openFiles;
  if (flags.readOnly !== undefined) options.readOnly = flags.readOnly;
  if (flags.disk !== undefined) options.disk = flags.disk;
  if (flags.runtime !== undefined) options.runtime = flags.runtime;
  if (flags.capAdd) options.capAdd = flags.capAdd;
  if (flags.maxOutput !== undefined) options.maxOutputBytes = flags.maxOutput;
  if (flags.label) options.labels = Object.fromEntries(flags.label);
  return options;
}
