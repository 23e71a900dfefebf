/**
 * A second bash in a running sandbox: `docker exec -i bash` over a hijacked connection, as a session
 * transport. Its end is explained by the exec's exit code.
 */
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type Dockerode from 'dockerode';
import type { SessionCloseInfo } from '../../errors.js';
import { SHELL_ARGV } from '../../protocol/command-framing.js';
import type { ShellTransport } from '../../session/session.js';
import { describeState } from '../attach-transport.js';
import { statusOf } from '../docker-client.js';
import { hijackedTransport } from '../hijacked-transport.js';

/** How the exec's bash runs: the sandbox's user and workdir, and its environment entries (`KEY=value`). */
export interface ExecShellSpec {
  user: string;
  workdir: string;
  env: string[];
}

export interface ExecShell {
  transport: ShellTransport;
  /** The raw connection: ending it is end of input for bash; destroying it ends the transport. */
  socket: Duplex;
}

export async function execShell(container: Dockerode.Container, spec: ExecShellSpec): Promise<ExecShell> {
  const exec = await container.exec({
    Cmd: [...SHELL_ARGV],
    User: spec.user,
    WorkingDir: spec.workdir,
    Env: spec.env,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
  });
  const socket = (await exec.start({ hijack: true, stdin: true })) as Duplex;
  return { transport: hijackedTransport(socket, (error) => explainExit(exec, error)), socket };
}

/** Why the exec's connection ended: bash's exit status, once the engine has recorded it. */
async function explainExit(exec: Dockerode.Exec, connectionError: Error | undefined): Promise<SessionCloseInfo> {
  try {
    // The connection can end a moment before the engine has recorded the exit code.
    for (let attempt = 0; attempt < 150; attempt += 1) {
      const info = await exec.inspect();
      if (!info.Running) return describeState({ Running: false, OOMKilled: false, ExitCode: info.ExitCode ?? 0 } as Dockerode.ContainerInspectInfo['State']);
      await sleep(10);
    }
    return lost(connectionError, 'bash still runs');
  } catch (error) {
    if (statusOf(error) === 404) return { reason: 'container-gone', detail: 'the container was removed' };
    return lost(connectionError, `the Docker engine is not answering (${(error as Error).message})`);
  }
}

function lost(connectionError: Error | undefined, why: string): SessionCloseInfo {
  const how = connectionError ? `failed (${connectionError.message})` : 'closed';
  return { reason: 'transport-error', detail: `the connection to the shell ${how}; ${why}` };
}
