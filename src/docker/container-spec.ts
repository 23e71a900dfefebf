/** The container create request for a runner: pure, so its defaults can be tested without Docker. */
import type Dockerode from 'dockerode';
import { SHELL_ARGV } from '../protocol/command-framing.js';
import type { ResolvedSandbox } from './sandbox-options.js';
import { RUNNER_SESSION_TAG, tagEntry } from './session-control.js';

export interface ContainerSpecInput {
  image: string;
  sandbox: ResolvedSandbox;
  labels: Record<string, string>;
}

export function containerSpec({ image, sandbox, labels }: ContainerSpecInput): Dockerode.ContainerCreateOptions {
  const networkMode = sandbox.network === false ? 'none' : sandbox.network === true ? 'bridge' : sandbox.network;
  return {
    Image: image,
    // bash is the entrypoint whatever the image says, so images with their own ENTRYPOINT work too.
    Entrypoint: [...SHELL_ARGV],
    Cmd: [],
    // The runner's session's tag, which a kill in another shell of the sandbox spares (see session-control.ts).
    Env: [...Object.entries(sandbox.env).map(([key, value]) => `${key}=${value}`), tagEntry(RUNNER_SESSION_TAG)],
    WorkingDir: sandbox.workdir,
    User: sandbox.user,
    Labels: labels,
    Tty: false,
    OpenStdin: true,
    // bash's input stays open when our connection goes, so that a detached sandbox lives on and another
    // process can attach to the same bash (DockerRunner.connect). A process that dies without
    // detaching has its containers removed by its reaper (reaper.ts), or by prune().
    StdinOnce: false,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: {
      // An init as PID 1 reaps orphans and lets `kill -9 $$` end bash (PID 1 ignores it).
      Init: true,
      NetworkMode: networkMode,
      // Docker's json-file log would copy every byte a command prints onto the host's disk, unbounded.
      LogConfig: { Type: 'none', Config: {} },
      CapDrop: ['ALL'],
      CapAdd: sandbox.capAdd,
      // Docker's default seccomp profile stays on: nothing here unconfines it.
      SecurityOpt: sandbox.allowPrivilegeEscalation ? [] : ['no-new-privileges:true'],
      Memory: sandbox.memoryBytes,
      // Swap equal to memory: no swap on top of the limit.
      MemorySwap: sandbox.memoryBytes,
      NanoCpus: Math.round(sandbox.cpus * 1e9),
      PidsLimit: pidsLimit(sandbox),
      Ulimits: ulimits(sandbox),
      ReadonlyRootfs: sandbox.readOnly,
      Tmpfs: sandbox.readOnly ? writablePlaces(sandbox) : {},
      ShmSize: Math.min(sandbox.diskBytes, DOCKER_SHM_BYTES),
      Binds: sandbox.mounts.map((m) => `${m.source}:${m.target}:${m.readOnly ? 'ro' : 'rw'}`),
      ...(sandbox.runtime ? { Runtime: sandbox.runtime } : {}),
    },
  };
}

/**
 * gVisor's runsc runs the sandbox's kernel as host threads that count against the pids cgroup
 * (measured: about 62 at rest, about 8 more per process inside), so `pids` processes need more.
 */
function pidsLimit(sandbox: ResolvedSandbox): number {
  return sandbox.runtime === 'runsc' ? 64 + 10 * sandbox.pids : sandbox.pids;
}

/** Docker's own size of /dev/shm, which `disk` only ever lowers. */
const DOCKER_SHM_BYTES = 64 * 1024 ** 2;

/**
 * The places a read-only root leaves writable (those Debian makes world-writable, and the workdir),
 * each a tmpfs of `disk` bytes: the kernel answers ENOSPC past it, and nothing reaches the host's disk.
 */
export const WRITABLE_PLACES = ['/tmp', '/var/tmp', '/run/lock'] as const;

function writablePlaces(sandbox: ResolvedSandbox): Record<string, string> {
  // `exec`: Docker's tmpfs default is noexec, which would stop `./configure` or a built binary.
  const base = `rw,exec,nosuid,nodev,size=${sandbox.diskBytes}`;
  const owner = sandbox.owner ? `,uid=${sandbox.owner.uid},gid=${sandbox.owner.gid}` : '';
  const places: Record<string, string> = Object.fromEntries(WRITABLE_PLACES.map((place) => [place, `${base},mode=1777`]));
  places[sandbox.workdir] = `${base},mode=0755${owner}`;
  return places;
}

/**
 * With a writable root, no file grows past `disk` either: Docker's /etc/hosts, /etc/hostname and
 * /etc/resolv.conf are host files outside the writable layer (and outside its quota or watchdog),
 * writable by root. Without CAP_SYS_RESOURCE the hard limit cannot be raised.
 */
function ulimits(sandbox: ResolvedSandbox): Array<{ Name: string; Soft: number; Hard: number }> {
  const limits = [{ Name: 'nofile', Soft: sandbox.openFiles, Hard: sandbox.openFiles }];
  if (!sandbox.readOnly) limits.push({ Name: 'fsize', Soft: sandbox.diskBytes, Hard: sandbox.diskBytes });
  return limits;
}
