/**
 * What a command can do to the session (test/helpers/terminal-cases.ts) in a real sandbox: the
 * same cases as on local bash, through the Docker attach.
 */
import { afterEach, describe, it } from 'vitest';
import { DockerRunner } from '../../src/docker/docker-runner.js';
import { TERMINAL_CASES, checkPerCommandCwdAndEnv, runTerminalCase } from '../helpers/terminal-cases.js';

const runners: DockerRunner[] = [];
async function sandbox(): Promise<DockerRunner> {
  const runner = await DockerRunner.start({ labels: { 'docker-shell-test': 'terminal' } });
  runners.push(runner);
  return runner;
}
afterEach(async () => {
  await Promise.all(runners.splice(0).map((runner) => runner.stop()));
});

describe('what a command can do to the session (Docker)', () => {
  it.each(TERMINAL_CASES)('$name', async (testCase) => {
    await runTerminalCase(await sandbox(), testCase);
  });

  it('run(command, { cwd, env }) applies to that command only', async () => {
    await checkPerCommandCwdAndEnv(await sandbox());
  });
});
