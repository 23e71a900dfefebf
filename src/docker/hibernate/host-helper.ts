/**
 * Work on the engine's own directories (its checkpoint store, runsc's state), which the API does
 * not reach: done here directly when this process sees them (a local engine, run as root), else
 * by a short-lived container that bind-mounts them (any engine that allows bind mounts; what it
 * can do there, a user who can start containers could do anyway).
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import type Dockerode from 'dockerode';

/** Where the work was done. */
export type HostMethod = 'local' | 'helper';

/** True when this process can read (and with `write`, write) `path`. */
export async function canReach(path: string, write = false): Promise<boolean> {
  return access(path, write ? constants.R_OK | constants.W_OK : constants.R_OK).then(
    () => true,
    () => false,
  );
}

/** A helper run: `script` (sh) with `args` as $1..., as root, without network, with `binds`. */
export interface HelperRun {
  /** An image with `sh` and the tools the script calls (the sandbox's own image is a good choice). */
  image: string;
  /** `host:container` bind mounts. */
  binds: string[];
  script: string;
  args: string[];
}

/** Runs a helper container to its end and removes it; rejects with its output when it fails. */
export async function runHelper(docker: Dockerode, { image, binds, script, args }: HelperRun): Promise<void> {
  const helper = await docker.createContainer({
    Image: image,
    Entrypoint: ['sh', '-c', script, 'docker-shell-helper', ...args],
    Cmd: [],
    User: '0',
    HostConfig: { Binds: binds, NetworkMode: 'none', LogConfig: { Type: 'json-file', Config: {} } },
  });
  try {
    await helper.start();
    const { StatusCode } = (await helper.wait()) as { StatusCode: number };
    if (StatusCode !== 0) {
      // Printable text only: the log's frame headers are binary.
      const raw = (await helper.logs({ stdout: true, stderr: true })).toString('utf8');
      const logs = Array.from(raw)
        .filter((char) => char >= ' ' || char === '\n')
        .join('')
        .trim();
      throw new Error(`the helper container failed with status ${StatusCode}${logs ? ` (${logs})` : ''}`);
    }
  } finally {
    await helper.remove({ force: true }).catch(() => {});
  }
}
