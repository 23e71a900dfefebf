/**
 * docker-shell: a long-lived bash session in a hardened, throw-away Docker container.
 * This file is the whole public surface.
 */
export { DockerRunner, type DockerRunnerOptions } from './docker/docker-runner.js';
export { BASE_IMAGE, ensureImage, type EnsureImageOptions, type PullPolicy } from './docker/images.js';
export type { DockerConnection } from './docker/docker-client.js';
export { LABEL_MANAGED, LABEL_OWNER, LABEL_RUNNER } from './docker/labels.js';
export { prune, type KeepReason, type KeptContainer, type PruneOptions, type PruneResult } from './docker/prune.js';
export { REAPER_ENV, ensureReaper, type ReaperInfo } from './docker/reaper.js';
export { Session, type CommandEvent, type ShellTransport, type SessionOpenOptions } from './session/session.js';
export { startLocalSession, type LocalSession, type LocalSessionOptions } from './session/local-bash.js';
export type { CommandResult, OutputChunk, RunOptions } from './session/command-result.js';
export {
  CommandFailedError,
  DockerApiError,
  DockerShellError,
  DockerUnavailableError,
  ImageNotFoundError,
  InvalidArgumentError,
  SessionClosedError,
  StartFailedError,
  type CloseReason,
  type ErrorCode,
  type SessionCloseInfo,
} from './errors.js';
