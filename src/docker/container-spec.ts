/** The container create request for a runner: pure, so its defaults can be tested without Docker. */
import type Dockerode from 'dockerode';
import { SHELL_ARGV } from '../protocol/command-framing.js';

/** The parts of the runner's options that shape the container. */
export interface ContainerSpecOptions {
  image: string;
  /** false: no network (`none`); true: the default bridge; a string: that network. */
  network: boolean | string;
  env: Record<string, string>;
  workdir: string | undefined;
  user: string | undefined;
  labels: Record<string, string>;
}

export function containerSpec(options: ContainerSpecOptions): Dockerode.ContainerCreateOptions {
  const networkMode = options.network === false ? 'none' : options.network === true ? 'bridge' : options.network;
  return {
    Image: options.image,
    // bash is the entrypoint whatever the image says, so images with their own ENTRYPOINT work too.
    Entrypoint: [...SHELL_ARGV],
    Cmd: [],
    Env: Object.entries(options.env).map(([key, value]) => `${key}=${value}`),
    WorkingDir: options.workdir,
    User: options.user,
    Labels: options.labels,
    Tty: false,
    OpenStdin: true,
    // When our connection goes, bash's stdin closes, bash exits and the container stops with it.
    StdinOnce: true,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: {
      // An init as PID 1 reaps orphans and lets `kill -9 $$` end bash (PID 1 ignores it).
      Init: true,
      NetworkMode: networkMode,
      // Docker's json-file log would copy every byte a command prints onto the host's disk, unbounded.
      LogConfig: { Type: 'none', Config: {} },
    },
  };
}
