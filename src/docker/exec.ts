/** Running a short program in the sandbox on a second channel (a `docker exec`), beside the session. */
import type Dockerode from 'dockerode';

/** Runs `argv` as `user` in the container and resolves when it has exited. Output is discarded. */
export async function execInContainer(container: Dockerode.Container, argv: string[], user: string): Promise<void> {
  const exec = await container.exec({ Cmd: argv, User: user, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  await new Promise<void>((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
    stream.resume();
  });
}
