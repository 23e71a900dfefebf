/**
 * Makes the sandbox user's working directory before the container starts. Docker would create a
 * missing WorkingDir owned by root, which a non-root user cannot write to.
 */
import type Dockerode from 'dockerode';
import tar from 'tar-stream';
import type { ResolvedSandbox } from './sandbox-options.js';

/** Puts a directory entry owned by the sandbox user into the created (not yet started) container. */
export async function prepareWorkdir(container: Dockerode.Container, sandbox: ResolvedSandbox): Promise<void> {
  // Read-only roots get a tmpfs workdir owned through its mount options; root needs nothing.
  if (sandbox.readOnly || !sandbox.owner) return;
  const pack = tar.pack();
  pack.entry({ name: sandbox.workdir.replace(/^\/+/, ''), type: 'directory', mode: 0o755, uid: sandbox.owner.uid, gid: sandbox.owner.gid });
  pack.finalize();
  await container.putArchive(pack as unknown as NodeJS.ReadableStream, { path: '/' });
}
