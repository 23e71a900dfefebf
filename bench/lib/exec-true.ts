/** `true` through the Engine API's exec, as a Node program without a long-lived shell would run it. */
import type Dockerode from 'dockerode';

/** Create, start attached, read to the end, inspect the exit code. */
export async function execTrue(container: Dockerode.Container): Promise<void> {
  const exec = await container.exec({ Cmd: ['true'], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  await new Promise<void>((resolve, reject) => {
    stream.once('end', resolve);
    stream.once('error', reject);
    stream.resume();
  });
  const { ExitCode } = await exec.inspect();
  if (ExitCode !== 0) throw new Error(`exec of true exited with ${ExitCode}`);
}
