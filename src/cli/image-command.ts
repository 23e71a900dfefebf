/**
 * `docker-shell image build-base` and `docker-shell image ensure NAME`: the image id on stdout (for
 * scripts), what happened on stderr, with progress while the work is long.
 */
import { Command, Option } from 'commander';
import { resolveDocker } from '../docker/docker-client.js';
import { BASE_IMAGE, buildBaseImage, ensureImage, type PullPolicy } from '../docker/images.js';
import { imageId } from '../docker/images/engine.js';
import { ImageNotFoundError } from '../errors.js';
import { formatDuration } from './parse.js';
import { Progress } from './progress.js';
import { signalExitCode, trapSignals } from './signals.js';

/** The `image` verb and its subcommands. */
export function imageCommand(): Command {
  return new Command('image')
    .description('make sure images are there: the offline base image, or any image by name')
    .addCommand(buildBase())
    .addCommand(ensure());
}

function buildBase(): Command {
  return new Command('build-base')
    .description(`build the offline base image (${BASE_IMAGE}) with debootstrap, no registry needed; as root, about 30 s`)
    .option('--tag <name>', 'the tag to build', BASE_IMAGE)
    .option('-f, --force', 'rebuild even when the image is there')
    .option('-q, --quiet', 'no progress on stderr (errors still print)')
    .action(async (flags: { tag: string; force?: boolean; quiet?: boolean }) => {
      const progress = await Progress.create({ quiet: flags.quiet });
      const task = progress.task(`building ${flags.tag}`);
      // A terminal shows the script's latest line beside the spinner; anything else gets every line.
      const onOutput = progress.interactive ? (line: string) => task.update(`building ${flags.tag}: ${line}`) : (line: string) => progress.line(line);
      try {
        const result = await buildBaseImage(undefined, { tag: flags.tag, force: flags.force === true, onOutput });
        task.succeed(result.built ? `built ${result.tag} in ${formatDuration(result.durationMs)}` : `${result.tag} is there already (--force rebuilds it)`);
        process.stdout.write(`${result.id}\n`);
      } finally {
        task.stop();
      }
    });
}

function ensure(): Command {
  return new Command('ensure')
    .description('make sure an image is on the engine: use it when present, pull it when missing (per-layer progress)')
    .argument('<name>', 'the image, e.g. docker-shell/base:bookworm or debian:bookworm-slim')
    .addOption(
      new Option('--pull <policy>', "'missing': pull only when missing; 'always': pull, falling back on the local image; 'never': only check")
        .choices(['missing', 'never', 'always'])
        .default('missing'),
    )
    .option('-q, --quiet', 'no progress on stderr (errors still print)')
    .action(async (name: string, flags: { pull: PullPolicy; quiet?: boolean }) => {
      const progress = await Progress.create({ quiet: flags.quiet });
      const docker = resolveDocker(undefined);
      const controller = new AbortController();
      const trap = trapSignals(() => controller.abort(new Error('interrupted')));
      const started = performance.now();
      const display = progress.pull(name);
      let pulled = false;
      try {
        const before = flags.pull === 'always' ? undefined : await imageId(docker, name);
        if (before === undefined) {
          await ensureImage(docker, name, {
            pull: flags.pull,
            signal: controller.signal,
            onProgress: (event) => {
              pulled = true;
              display.onProgress(event);
            },
          });
        }
        display.stop();
        const id = before ?? (await imageId(docker, name));
        if (id === undefined) throw new ImageNotFoundError(name, 'The engine reported a pull, but does not list the image.');
        progress.line(before !== undefined || !pulled ? `${name} is present` : `pulled ${name} in ${formatDuration(performance.now() - started)}`);
        process.stdout.write(`${id}\n`);
      } catch (error) {
        display.stop();
        if (trap.received === undefined) throw error;
        progress.line(`interrupted by ${trap.received}`);
        process.exitCode = signalExitCode(trap.received);
      } finally {
        trap.dispose();
      }
    });
}
