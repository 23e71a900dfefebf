/**
 * A `docker exec` beside the session, tagged as the runner's (so a session timeout spares it and
 * `stop()` finds it), started with its connection hijacked: what spawned processes and terminals
 * share.
 */
import type { Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
import { dockerError } from '../docker-client.js';
import { containerPath } from '../files/options.js';
import { tagVariable } from './spawn-scripts.js';
import type { SpawnContext } from './spawn-process.js';

export interface TaggedExecOptions {
  argv: string[];
  /** The command as the user gave it, for messages. */
  command: string;
  /** What the exec is, for messages: 'an exec', 'a terminal'. */
  what: string;
  user: string;
  env: Readonly<Record<string, string>>;
  cwd: string | undefined;
  tty: boolean;
}

export async function startTaggedExec(context: SpawnContext, options: TaggedExecOptions): Promise<{ exec: Dockerode.Exec; socket: Duplex }> {
  const env = Object.entries(options.env).map(([key, value]) => `${key}=${value}`);
  const exec = await context.container
    .exec({
      Cmd: options.argv,
      User: options.user,
      // Last, so the tag wins over an `env` that names the variable.
      Env: [...env, tagVariable(context.tag)],
      WorkingDir: containerPath(options.cwd ?? '.', context.workdir, 'cwd'),
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: options.tty,
    })
    .catch((error: unknown) => {
      throw dockerError(context.docker, `create ${options.what} for \`${options.command}\``, error);
    });
  // `Tty` again at start: without it the engine frames a terminal's output as if it had none.
  const socket = (await exec.start({ hijack: true, stdin: true, ...(options.tty ? { Tty: true } : {}) }).catch((error: unknown) => {
    throw dockerError(context.docker, `start ${options.what} for \`${options.command}\``, error);
  })) as Duplex;
  return { exec, socket };
}
