/**
 * The second Docker daemon of the multi-endpoint tests (scripts/second-docker.sh): its own data
 * root and socket, listening on a loopback TCP port. Starting it needs root (CI is root).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import Dockerode from 'dockerode';

const root = new URL('../..', import.meta.url).pathname;

export const SECOND_PORT = 23750;

/** dockerode options that reach the second daemon. */
export const second = { host: '127.0.0.1', port: SECOND_PORT, protocol: 'http' as const };

export const secondDocker = new Dockerode(second);

/** Starts (and loads the base image into) or stops the second daemon; both idempotent, both wait. */
export function secondDaemon(verb: 'start' | 'stop'): void {
  execFileSync('bash', ['scripts/second-docker.sh', verb, String(SECOND_PORT)], { cwd: root, stdio: 'ignore' });
}

/** Freezes (SIGSTOP) or thaws (SIGCONT) the second daemon: an engine that stops answering without closing its port. */
export function freezeSecondDaemon(frozen: boolean): void {
  try {
    process.kill(Number(readFileSync('/run/docker-shell-second/dockerd.pid', 'utf8').trim()), frozen ? 'SIGSTOP' : 'SIGCONT');
  } catch (error) {
    // Thawing a daemon that is not running is nothing to do.
    if (frozen || !['ENOENT', 'ESRCH'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  }
}
