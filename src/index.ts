/**
 * docker-shell: a long-lived bash session in a hardened, throw-away Docker container.
 * This file is the whole public surface.
 */
export {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_TIMEOUT_MS,
  DockerRunner,
  type ConnectOptions,
  type DetachOptions,
  type DockerRunnerOptions,
} from './docker/docker-runner.js';
export { SandboxShell, type ShellOptions } from './docker/shells/sandbox-shell.js';
export { APT_CAPABILITIES, SANDBOX_DEFAULTS, parseBytes, type BindMount, type SandboxOptions } from './docker/sandbox-options.js';
export {
  BASE_IMAGE,
  BASE_IMAGE_SCRIPT,
  buildBaseImage,
  buildImage,
  ensureImage,
  type BuildBaseImageOptions,
  type BuildBaseImageResult,
  type BuildImageOptions,
  type BuildImageResult,
  type BuildProgressEvent,
  type EnsureImageOptions,
  type PullEvent,
  type PullLayerEvent,
  type PullPolicy,
  type PullStatusEvent,
} from './docker/images.js';
export { createDockerClient, type DockerConnection } from './docker/docker-client.js';
export {
  DEFAULT_MAX_DIRECTORY_BYTES,
  DEFAULT_MAX_ENTRIES,
  DEFAULT_MAX_FILE_BYTES,
  extractArchive,
  getDirectory,
  getFile,
  getFileStream,
  putDirectory,
  putFile,
  type ExtractLimits,
  type ExtractOptions,
  type ExtractResult,
  type FileAccessOptions,
  type GetDirectoryOptions,
  type GetFileOptions,
  type PutOptions,
  type SkippedEntry,
  type TransferResult,
  type TransferRoute,
  type UnsafeEntryPolicy,
} from './docker/files.js';
export { SandboxProcess, type SpawnResult } from './docker/spawn/sandbox-process.js';
export type { SpawnOptions } from './docker/spawn/spawn-options.js';
export { SandboxPty } from './docker/pty/sandbox-pty.js';
export type { PtyOptions } from './docker/pty/pty-options.js';
export { PortForward } from './docker/ports/port-forward.js';
export type { ClosePortForwardOptions, ForwardPortOptions } from './docker/ports/port-options.js';
export { LABEL_EXPIRES_AT, LABEL_MANAGED, LABEL_OPTIONS, LABEL_OWNER, LABEL_RUNNER } from './docker/labels.js';
export {
  prune,
  type KeepReason,
  type KeptContainer,
  type LeftoverContainer,
  type PruneCandidate,
  type PruneOptions,
  type PruneResult,
  type RemoveReason,
} from './docker/prune.js';
export { REAPER_ENV, ensureReaper, type ReaperInfo } from './docker/reaper.js';
export {
  Session,
  type ByteSource,
  type CommandEvent,
  type InterruptTarget,
  type SessionControl,
  type SessionOpenOptions,
  type ShellTransport,
} from './session/session.js';
export { startLocalSession, type LocalSession, type LocalSessionOptions } from './session/local-bash.js';
export type { CommandResult, OutputChunk, RunOptions } from './session/command-result.js';
export {
  ArchiveLimitError,
  FileNotFoundError,
  FilePermissionError,
  FileTransferError,
  FileTypeError,
  UnsafeArchiveError,
  SpawnFailedError,
  PortForwardError,
  PortInUseError,
  type FileSide,
  CommandCanceledError,
  CommandFailedError,
  DockerApiError,
  DockerShellError,
  DockerUnavailableError,
  ImageNotFoundError,
  InvalidArgumentError,
  SessionClosedError,
  StartFailedError,
  ImageBuildError,
  BaseImageBuildError,
  type BaseImageFailureReason,
  type ImageBuildFailure,
  type CloseReason,
  type ErrorCode,
  type SessionCloseInfo,
} from './errors.js';
export { RunnerPool } from './pool/runner-pool.js';
export { POOL_DEFAULTS, type AcquireOptions, type PoolPolicy, type RunnerPoolOptions } from './pool/pool-options.js';
export type { PoolEvents, PoolListener, PoolStats } from './pool/pool-stats.js';
export type { EndpointStatus, PoolEndpoint } from './pool/endpoints.js';
export {
  PoolAcquireCanceledError,
  PoolAcquireTimeoutError,
  PoolClosedError,
  PoolQueueFullError,
  PoolUnavailableError,
  ShellLimitError,
  type EndpointFailure,
} from './errors.js';
// Sandboxes that outlive a process (issue 13): detach, connect, list.
export { listSandboxes, type ListSandboxesOptions, type SandboxHolder, type SandboxInfo } from './docker/detach/list-sandboxes.js';
export { SandboxHeldError, SandboxNotFoundError, type SandboxMissingReason } from './errors.js';
export type { HandOver } from './session/session.js';
// Pause and resume
export { SuspendableTimers, type SuspendableTimer } from './session/suspendable-timers.js';
// Hibernation of gVisor sandboxes (runner.hibernate(), woken by DockerRunner.connect()).
export { CheckpointFailedError, HibernateUnsupportedError, type CheckpointOperation, type HibernateUnsupportedReason } from './errors.js';
export { Snapshot, LABEL_SNAPSHOT, SNAPSHOT_REPOSITORY, type SnapshotProcess, type SnapshotTimings } from './docker/snapshots/snapshot.js';
export type { SnapshotOptions } from './docker/snapshots/take-snapshot.js';
export type { ForkOptions } from './docker/snapshots/fork.js';
export { listSnapshots, removeSnapshot, type ListSnapshotsOptions } from './docker/snapshots/list-snapshots.js';
export { SandboxBusyError, SnapshotFailedError, SnapshotNotFoundError } from './errors.js';
// Recycled sandboxes (RunnerPool policy 'recycle', issue 14).
export { RecycleBaselineError } from './errors.js';
export type { RecycleEvent } from './pool/pool-stats.js';
