/**
 * Live fork of a gVisor sandbox: a new container with the same image and options, started from a
 * checkpoint of the first, so it runs on with a copy of its processes, memory and shell. A writable
 * root is carried by committing the source's layer first (a read-only root, the default, needs
 * nothing: its writable places are tmpfs, inside the checkpoint).
 */
import { performance } from 'node:perf_hooks';
import type Dockerode from 'dockerode';
import type { AttachedShell } from '../attach-transport.js';
import { attachShell } from '../attach-transport.js';
import { dockerError } from '../docker-client.js';
import { checkGvisor } from './checkpoint-engine.js';
import { copyCheckpoint } from './copy-checkpoint.js';
import type { HostMethod } from './host-helper.js';
import { wakeContainer } from './wake-container.js';

/** Options of `liveForkContainer()`. */
export interface LiveForkOptions {
  /** Labels of the fork, over the source's (e.g. a new runner id). Default: the source's. */
  labels?: Record<string, string>;
  /** Connects to the fork before it starts. Default: `attachShell`. */
  attach?: (container: Dockerode.Container) => Promise<AttachedShell>;
  /** Copy through a helper container even when the engine's root is visible here (for tests). Default: false. */
  forceHelper?: boolean;
}

/** What `liveForkContainer()` made. */
export interface LiveForkResult {
  /** The fork, running. */
  container: Dockerode.Container;
  /** The connection to its shell, attached before its start (see `Session.resume()`). */
  attached: AttachedShell;
  /** The image the fork was created from: the source's, or a commit of its writable root. */
  image: string;
  /** True when the source's writable root was committed into `image` (remove it once the forks are gone). */
  committed: boolean;
  /** How the checkpoint was copied into the fork. */
  copiedBy: HostMethod;
  /** From the source's inspection to the fork running. */
  durationMs: number;
}

/**
 * Starts a new container from the checkpoint `checkpointName` of `source` (taken by
 * `hibernateContainer()`, or with `docker checkpoint create`), which stays in the source's store.
 * On failure the fork is removed.
 * @throws HibernateUnsupportedError (not gVisor, experimental off), CheckpointFailedError, DockerApiError
 */
export async function liveForkContainer(
  docker: Dockerode,
  source: Dockerode.Container,
  checkpointName: string,
  options: LiveForkOptions = {},
): Promise<LiveForkResult> {
  const startedAt = performance.now();
  const info = await source.inspect().catch((error: unknown) => {
    throw dockerError(docker, `inspect the container ${source.id}`, error);
  });
  await checkGvisor(docker, info);
  const committed = !info.HostConfig.ReadonlyRootfs;
  const image = committed ? await commitLayer(docker, source) : info.Image;
  const fork = await docker.createContainer(forkSpec(info, image, options.labels)).catch((error: unknown) => {
    throw dockerError(docker, `create a fork of the container ${source.id}`, error);
  });
  try {
    const copiedBy = await copyCheckpoint(docker, info.Id, fork.id, checkpointName, { helperImage: info.Image, forceHelper: options.forceHelper });
    const { attached } = await wakeContainer(docker, fork, checkpointName, options.attach ?? attachShell);
    return { container: fork, attached, image, committed, copiedBy, durationMs: performance.now() - startedAt };
  } catch (error) {
    await fork.remove({ force: true, v: true }).catch(() => {});
    throw error;
  }
}

/** The source's layer as an image, so the fork's root holds the files the checkpoint refers to. */
async function commitLayer(docker: Dockerode, source: Dockerode.Container): Promise<string> {
  const result = (await source.commit({ pause: true }).catch((error: unknown) => {
    throw dockerError(docker, `commit the root of the container ${source.id}`, error);
  })) as { Id: string };
  return result.Id;
}

/** The create request of a container like the inspected one: same config and host config, its own name. */
export function forkSpec(info: Dockerode.ContainerInspectInfo, image: string, labels: Record<string, string> = {}): Dockerode.ContainerCreateOptions {
  const config = info.Config;
  return {
    Image: image,
    Hostname: config.Hostname,
    Domainname: config.Domainname,
    User: config.User,
    Env: config.Env,
    Cmd: config.Cmd,
    Entrypoint: config.Entrypoint as string[] | undefined,
    WorkingDir: config.WorkingDir,
    Labels: { ...config.Labels, ...labels },
    Tty: config.Tty,
    OpenStdin: config.OpenStdin,
    StdinOnce: config.StdinOnce,
    AttachStdin: config.AttachStdin,
    AttachStdout: config.AttachStdout,
    AttachStderr: config.AttachStderr,
    StopSignal: (config as { StopSignal?: string }).StopSignal,
    HostConfig: info.HostConfig,
  };
}
