/**
 * What a command can do to the session (test/helpers/terminal-cases.ts) on local bash: the session
 * survives what an interactive terminal survives, and no byte of the frame reaches a result.
 */
import { afterEach, beforeEach, describe, it } from 'vitest';
import { startLocalSession, type LocalSession } from '../../src/session/local-bash.js';
import { TERMINAL_CASES, checkPerCommandCwdAndEnv, runTerminalCase } from '../helpers/terminal-cases.js';

let local: LocalSession;
beforeEach(async () => {
  local = await startLocalSession();
});
afterEach(async () => {
  await local.close();
});

describe('what a command can do to the session (local bash)', () => {
  it.each(TERMINAL_CASES)('$name', async (testCase) => {
    await runTerminalCase(local.session, testCase);
  });

  it('run(command, { cwd, env }) applies to that command only', async () => {
    await checkPerCommandCwdAndEnv(local.session);
  });
});
