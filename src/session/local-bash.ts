/**
 * A session over a bash child process on this machine. NOT a sandbox: it exists to test the
 * session core without Docker, and as the floor in benchmarks.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import type { SessionCloseInfo } from '../errors.js';
import { SHELL_ARGV, TASK_VARIABLE } from '../protocol/command-framing.js';
import { killCommand } from '../protocol/kill-script.js';
import { Session, type SessionControl, type SessionOpenOptions } from './session.js';

const run = promisify(execFile);

/** Options of `startLocalSession()`. */
export interface LocalSessionOptions extends SessionOpenOptions {
  /** Working directory of the shell. Default: the current one. */
  cwd?: string;
  /** Environment of the shell (with `tag`, `__ds_t=<tag>` is added). Default: a minimal one (PATH and HOME). */
  env?: NodeJS.ProcessEnv;
}

/** A session on local bash, with `kill()` to end it from outside. */
export interface LocalSession {
  /** The session on that bash. */
  session: Session;
  /** The bash process id. */
  pid: number;
  /** Sends `signal` to bash; the session closes with reason `shell-killed`. */
  kill(signal?: NodeJS.Signals): void;
  /** Ends the session: queued commands reject, bash is killed, and this waits for it to exit. */
  close(): Promise<void>;
}

/**
 * Starts bash on this machine and opens a session on it.
 * @example
 * const { session, close } = await startLocalSession();
 * const { stdout } = await session.run('echo hi');
 * await close();
 */
export async function startLocalSession(options: LocalSessionOptions = {}): Promise<LocalSession> {
  const [file, ...args] = SHELL_ARGV as [string, ...string[]];
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: { ...(options.env ?? { PATH: process.env.PATH, HOME: process.env.HOME }), ...(options.tag === undefined ? {} : { [TASK_VARIABLE]: options.tag }) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // Bash, not its pipes, tells when the session ends: a background job may hold stdout open.
  const closed = new Promise<SessionCloseInfo>((resolve) => {
    child.once('error', (error) => resolve({ reason: 'transport-error', detail: `bash could not run: ${error.message}` }));
    child.once('exit', (code, signal) =>
      resolve(
        signal
          ? { reason: 'shell-killed', detail: `bash was killed by ${signal}`, exitCode: null, signal }
          : { reason: 'shell-exited', detail: `bash exited with status ${code}`, exitCode: code },
      ),
    );
  });
  const control: SessionControl = {
    // Only bash's own descendants: this is a shared host, not a sandbox of our own.
    interrupt: async ({ shellPid, tag, elapsedMs, sessionTag }) => {
      const [killer, ...args] = killCommand(shellPid, tag, elapsedMs, 'descendants', sessionTag) as [string, ...string[]];
      await run(killer, args);
    },
    abandon: () => void child.kill('SIGKILL'),
  };
  const session = await Session.open(
    {
      stdin: child.stdin,
      stdout: child.stdout,
      stderr: child.stderr,
      closed,
      pause: () => (child.stdout.pause(), child.stderr.pause()),
      resume: () => (child.stdout.resume(), child.stderr.resume()),
    },
    { control, ...options },
  );
  return {
    session,
    pid: child.pid as number,
    kill: (signal = 'SIGKILL') => void child.kill(signal),
    close: async () => {
      session.destroy({ reason: 'stopped', detail: 'the session was closed' });
      // End of input would only stop bash once its current command ends; this is an abrupt close.
      child.stdin.end();
      child.kill('SIGKILL');
      await closed;
    },
  };
}
