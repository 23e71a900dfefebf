/** Running npm (and other tools) from the packaging tests, keeping what they print for the assertion. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository's root. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** What a finished process left. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `command` in `cwd` to the end; a non-zero exit is a result, not a rejection. `env` adds to this process's. */
export function run(command: string, args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : (error as { code?: unknown }).code;
      if (typeof code !== 'number') reject(error ?? new Error(`${command} exited without a code`));
      else resolve({ code, stdout, stderr });
    });
  });
}

/** npm's flags for work that must not need the network when the cache has what it needs. */
export const QUIET_OFFLINE = ['--prefer-offline', '--no-audit', '--no-fund'] as const;
