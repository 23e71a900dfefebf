/**
 * DockerRunner: one long-lived bash in a throw-away container, driven over the Docker API.
 */
import { PassThrough, type Duplex, type Readable } from 'node:stream';
import createDebug from 'debug';
import type Dockerode from 'dockerode';
import { v4 as uuidv4 } from 'uuid';
import { DockerShellError, InvalidArgumentError, SandboxNotFoundError, SessionClosedError, StartFailedError, type SessionCloseInfo } from '../errors.js';
import { checkChoice, checkCount, checkDuration, checkOptionsObject, checkString, checkStringRecord } from '../option-checks.js';
import type { CommandResult, RunOptions } from '../session/command-result.js';
import { checkRunOptions } from '../session/run-options.js';
import { Session, type CommandEvent, type HandOver, type ShellTransport } from '../session/session.js';
import { attachShell } from './attach-transport.js';
import { containerSpec } from './container-spec.js';
import { dockerError, resolveDocker, statusOf, type DockerConnection } from './docker-client.js';
import {
  getDirectory,
  getFile,
  getFileStream,
  putDirectory,
  putFile,
  type GetDirectoryOptions,
  type GetFileOptions,
  type PutOptions,
  type TransferResult,
} from './files.js';
import { GET_DIRECTORY_OPTION_NAMES, GET_FILE_OPTION_NAMES, PUT_OPTION_NAMES, checkTransferOptions, containerPath, hostPath } from './files/options.js';
import { BASE_IMAGE, type PullPolicy } from './images.js';
import { PULL_POLICIES } from './images/ensure-image.js';
import { createFromImage } from './images/create-from-image.js';
import { diskLimitDetail, watchLayer } from './disk/layer-watchdog.js';
import { createWithQuota } from './disk/storage-quota.js';
import { runnerLabels } from './labels.js';
import { claimSandbox, releaseClaim, type ClaimedSandbox } from './detach/claim.js';
import { readLease, removeLease, writeLease, type Lease } from './detach/lease.js';
import { removeSandbox } from './detach/remove-sandbox.js';
import { liveForks } from './hibernate/live-forks.js';
import { currentOwner } from './owner.js';
import { checkGvisor } from './hibernate/checkpoint-engine.js';
import { hibernateContainer } from './hibernate/hibernate-container.js';
import { wakeContainer } from './hibernate/wake-container.js';
import { SANDBOX_OPTION_NAMES, resolveSandbox, type ResolvedSandbox, type SandboxOptions } from './sandbox-options.js';
import { ensureReaper } from './reaper.js';
import { SandboxShell, checkShellOptions, type ShellOptions } from './shells/sandbox-shell.js';
import { DEFAULT_MAX_SHELLS, ShellSet } from './shells/shell-set.js';
import { RUNNER_SESSION_TAG, killControl } from './session-control.js';
import { prepareWorkdir } from './workdir.js';
import type { SandboxProcess } from './spawn/sandbox-process.js';
import { SpawnedProcesses } from './spawn/spawned-processes.js';
import type { SpawnOptions } from './spawn/spawn-options.js';
import type { PtyOptions } from './pty/pty-options.js';
import type { SandboxPty } from './pty/sandbox-pty.js';
import { Terminals } from './pty/terminals.js';
import type { PortForward } from './ports/port-forward.js';
import { PortForwards } from './ports/port-forwards.js';
import type { ForwardPortOptions } from './ports/port-options.js';
import { SuspendableTimers } from '../session/suspendable-timers.js';
import type { Hold } from './pause/hold.js';
import { SandboxFreezer } from './pause/sandbox-freezer.js';
import { takeSnapshot, checkSnapshotOptions, type SnapshotOptions, type SnapshotSource } from './snapshots/take-snapshot.js';
import { checkForkOptions, forkSandbox, releaseIfForkImage, type ForkOptions } from './snapshots/fork.js';
import { forkInPlace } from './snapshots/fork-in-place.js';
import { carriedOptions, checkSnapshotOption, prepareSnapshotStart, restoreSession, type SnapshotStart } from './snapshots/restore.js';
import type { Snapshot } from './snapshots/snapshot.js';
import { Recycler, type RecycleContext, type RecycleOutcome } from './recycle/recycler.js';

/**
 * Options of `new DockerRunner()`: the sandbox's confinement (hardened by default) and the runner's
 * own. Every field is optional. An unknown option, a value of the wrong type or out of range is an
 * `InvalidArgumentError` from the constructor.
 *
 * @example
 * ```ts
 * const options: DockerRunnerOptions = { image: 'my/gm:1', memory: '2g', timeoutMs: 60_000, labels: { job: '42' } };
 * await using runner = await DockerRunner.start(options);
 * ```
 */
export interface DockerRunnerOptions extends SandboxOptions {
  /** Image to run. Default: `docker-shell/base:bookworm`, built offline by `scripts/build-base-image.sh`. */
  image?: string;
  /** A dockerode instance or its connection options. Default: DOCKER_HOST, else the local socket. */
  docker?: DockerConnection;
  /** Extra labels for the container (docker-shell adds its own). Default: none. */
  labels?: Record<string, string>;
  /** When to pull `image`: 'missing' (default), 'never' or 'always'. */
  pull?: PullPolicy;
  /** How long the shell may take to answer once the container started, then `StartFailedError`. Default: 30 000 ms. */
  startTimeoutMs?: number;
  /** Default `timeoutMs` of every command (see `RunOptions`). Default: 300 000 ms (5 minutes); `Infinity` for none. */
  timeoutMs?: number;
  /** Default `maxOutputBytes` of every command. Default: 16 MiB. */
  maxOutputBytes?: number;
  /** Most extra shells (`openShell()`) open at once, besides the runner's own session; past it, `ShellLimitError`. Default: 8. */
  maxShells?: number;
  /**
   * How long the sandbox may live at most, whoever holds it: past it, its runner stops
   * (`SessionClosedError`, reason 'expired'), and a detached sandbox ends itself. Default: no limit.
   */
  lifetimeMs?: number;
  /**
   * Start from this snapshot (a `Snapshot`, or its id or name): its files in place, and the session
   * in its shell state (cwd, variables, functions, aliases, options, umask, directory stack). The
   * sandbox gets the options of the runner the snapshot was taken from; options given here override
   * them (`image` cannot be given: the snapshot is the image). Default: none.
   */
  snapshot?: Snapshot | string;
}

/**
 * Options of `DockerRunner.connect()`: the engine, and the runner's own options. The sandbox keeps
 * the confinement and image it was made with.
 *
 * @example
 * ```ts
 * const options: ConnectOptions = { timeoutMs: 60_000 };
 * const runner = await DockerRunner.connect(id, options);
 * ```
 */
export type ConnectOptions = Pick<DockerRunnerOptions, 'docker' | 'startTimeoutMs' | 'timeoutMs' | 'maxOutputBytes' | 'maxShells'>;

/**
 * Options of `runner.detach()`.
 *
 * @example
 * ```ts
 * const options: DetachOptions = { idleTimeoutMs: 30 * 60_000 };
 * const id = await runner.detach(options);
 * ```
 */
export interface DetachOptions {
  /**
   * How long the sandbox waits for a process to connect: past it with no command, it ends itself
   * (inside the sandbox, so this holds with no host process alive). `Infinity` for no limit.
   * Default: 600 000 ms (10 minutes).
   */
  idleTimeoutMs?: number;
}

/**
 * A detached sandbox's wait for a connection, by default: 10 minutes.
 *
 * @example
 * ```ts
 * const id = await runner.detach({ idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS * 6 }); // an hour
 * ```
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 600_000;

/**
 * The runner's default per-command timeout, 5 minutes: a command nobody audited must not hang its
 * caller forever.
 *
 * @example
 * ```ts
 * const runner = new DockerRunner({ timeoutMs: DEFAULT_TIMEOUT_MS * 6 }); // half an hour per command
 * ```
 */
export const DEFAULT_TIMEOUT_MS = 300_000;

/** `DEBUG=docker-shell:runner`: containers created, started and removed, and why sessions ended. */
const log = createDebug('docker-shell:runner');

const RUNNER_OPTION_NAMES = [
  ...SANDBOX_OPTION_NAMES,
  'image',
  'docker',
  'labels',
  'pull',
  'startTimeoutMs',
  'timeoutMs',
  'maxOutputBytes',
  'maxShells',
  'lifetimeMs',
  'snapshot',
];
const CONNECT_OPTION_NAMES = ['docker', 'startTimeoutMs', 'timeoutMs', 'maxOutputBytes', 'maxShells'];

/**
 * A bash session in a fresh container. Commands run one after another, and state (cwd, variables,
 * functions, installed tools) carries over from one to the next.
 *
 * @example
 * await using runner = await DockerRunner.start();
 * const { stdout, exitCode } = await runner.run('echo hello');
 */
export class DockerRunner implements AsyncDisposable {
  /** Creates a runner and starts it. */
  static async start(options: DockerRunnerOptions = {}): Promise<DockerRunner> {
    return new DockerRunner(options).start();
  }

  /**
   * Resumes the session of a sandbox that a runner detached (`runner.detach()`), from this or any
   * other process on the same engine: its cwd, variables, functions, files and background jobs are
   * as they were. The sandbox keeps its image and confinement; `options` are this runner's own.
   * After connect, the runner is like any other (run, spawn, files, stop, detach again).
   * @throws SandboxNotFoundError (unknown id, not docker-shell's, or ended: e.g. it expired),
   *   SandboxHeldError (another live process holds it), DockerUnavailableError
   * @example
   * const id = await (await DockerRunner.start()).detach();
   * // later, maybe in another process:
   * const runner = await DockerRunner.connect(id);
   */
  static async connect(id: string, options: ConnectOptions = {}): Promise<DockerRunner> {
    checkString(id, 'id', 'a container id or name');
    if (id === '') throw new InvalidArgumentError('id', 'a container id or name', id);
    checkOptionsObject(options, CONNECT_OPTION_NAMES, 'DockerRunner.connect()');
    const docker = resolveDocker(options.docker);
    // Before the sandbox is ours: if this process dies holding it, the reaper removes it.
    ensureReaper(docker);
    const claimed = await claimSandbox(docker, id);
    let runner: DockerRunner;
    try {
      runner = new DockerRunner({ ...(claimed.options as DockerRunnerOptions), ...options, docker });
    } catch (error) {
      await releaseClaim(docker, claimed).catch(() => {});
      throw error;
    }
    runner.#starting = runner.#adopt(claimed);
    return runner.#starting;
  }

  #options: DockerRunnerOptions;
  #sandbox: ResolvedSandbox;
  #defaults: RunOptions;
  #snapshotStart: SnapshotStart | undefined;
  readonly #docker: Dockerode;
  readonly #runnerId = uuidv4();
  #starting: Promise<this> | undefined;
  #stopping: Promise<void> | undefined;
  #container: Dockerode.Container | undefined;
  #socket: Duplex | undefined;
  #release: ((info?: SessionCloseInfo) => void) | undefined;
  #session: Session | undefined;
  #output: PassThrough | undefined;
  readonly #spawned = new SpawnedProcesses();
  #stopWatching: (() => void) | undefined;
  readonly #terminals = new Terminals();
  readonly #forwards = new PortForwards();
  #closed!: Promise<SessionCloseInfo>;
  #resolveClosed!: (info: SessionCloseInfo) => void;
  #transport: ShellTransport | undefined;
  #hasQuota = false;
  readonly #shells: ShellSet;
  /** When the sandbox's lifetime ends (ms since the epoch), if it has one. */
  #expiresAt: number | undefined;
  #lifetimeTimer: NodeJS.Timeout | undefined;
  /** This runner connected to the sandbox: a lease says so, which goes with the container. */
  #leased = false;
  /** The session of a sandbox connected to while paused: it answers once resumed. */
  #opening: Promise<Session> | undefined;
  /** Hibernated to be woken into this runner again (a live fork): its output goes on. */
  #waking = false;
  /** What the lease said of the shell when this runner connected to it. */
  #adoptedHandOver: HandOver | undefined;
  /** The clock of every timeout in this sandbox, and the freezer that stops it (pause/resume). */
  readonly #timers = new SuspendableTimers();
  readonly #freezer: SandboxFreezer;
  readonly #recycler = new Recycler();

  /** @throws InvalidArgumentError for an unknown option or a value of the wrong type. */
  constructor(options: DockerRunnerOptions = {}) {
    checkOptionsObject(options, RUNNER_OPTION_NAMES, 'DockerRunner');
    checkString(options.image, 'image', 'an image reference such as "debian:bookworm-slim"');
    checkStringRecord(options.labels, 'labels');
    checkChoice(options.pull, 'pull', PULL_POLICIES);
    checkDuration(options.startTimeoutMs, 'startTimeoutMs');
    checkCount(options.maxShells, 'maxShells');
    checkDuration(options.lifetimeMs, 'lifetimeMs');
    checkSnapshotOption(options);
    this.#shells = new ShellSet(options.maxShells ?? DEFAULT_MAX_SHELLS);
    this.#options = { ...options };
    this.#sandbox = resolveSandbox(options);
    this.#defaults = { timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxOutputBytes: options.maxOutputBytes };
    checkRunOptions(this.#defaults);
    this.#docker = resolveDocker(options.docker);
    this.#freezer = new SandboxFreezer(this.#docker, this.#timers);
    this.#newClosed();
  }

  /**
   * Resolves, saying why, when the session has ended: bash exited or was killed, the container
   * went away, the engine was lost, or `stop()` / `close()` ended it. Never rejects.
   */
  get closed(): Promise<SessionCloseInfo> {
    return this.#closed;
  }

  /** The container id, once `start()` has created it. */
  get id(): string | undefined {
    return this.#container?.id;
  }

  /** The image this runner runs. */
  get image(): string {
    return this.#options.image ?? BASE_IMAGE;
  }

  /** The dockerode instance this runner talks to. */
  get docker(): Dockerode {
    return this.#docker;
  }

  /** True between a successful `start()` and the end of the session. */
  get isRunning(): boolean {
    return this.#session !== undefined && !this.#session.isClosed;
  }

  /**
   * Everything the session prints (stdout and stderr, raw, in arrival order), for
   * `runner.output.pipe(process.stdout)`. Ends when the session ends. Can be taken before `start()`.
   */
  get output(): Readable {
    if (!this.#output) {
      this.#output = new PassThrough();
      // Not ended with a session: one may follow on the same sandbox (restart(), a live fork's wake).
      this.#session?.output.pipe(this.#output, { end: false });
    }
    return this.#output;
  }

  /**
   * Creates the container (labelled as docker-shell's), attaches to bash, starts it and waits until
   * bash answers. Pulls the image when missing (see `pull`). Idempotent. If anything fails, the
   * container is removed before the error is thrown.
   * @throws ImageNotFoundError, DockerUnavailableError, DockerApiError, StartFailedError
   */
  start(): Promise<this> {
    if (this.#stopping) return Promise.reject(this.#stoppedError());
    this.#starting ??= this.#start();
    return this.#starting;
  }

  /**
   * Runs `command` in the session (starting the runner first if needed) and resolves with its
   * result, whatever its exit code; with `check: true`, a non-zero exit rejects with
   * `CommandFailedError`.
   * @example
   * const { stdout } = await runner.run('ls -1 /', { check: true });
   */
  run(command: string, options: RunOptions = {}): Promise<CommandResult> {
    let merged: RunOptions;
    try {
      merged = this.#runOptions(command, options);
    } catch (error) {
      return Promise.reject(error);
    }
    // Enqueue synchronously when the session exists, so call order is queue order and a close()
    // right after sees the command; before that, in call order once start() resolves.
    const session = this.#session;
    if (session) return session.run(command, merged);
    return this.#ready().then((ready) => ready.run(command, merged));
  }

  /**
   * Runs `command` and yields its output chunks as they arrive (`{ type: 'stdout' | 'stderr', data }`),
   * then `{ type: 'result', result }`.
   * @example
   * for await (const event of runner.stream('apt-get update')) {
   *   if (event.type !== 'result') process.stdout.write(event.data);
   * }
   */
  stream(command: string, options: RunOptions = {}): AsyncIterableIterator<CommandEvent> {
    let merged: RunOptions;
    try {
      merged = this.#runOptions(command, options);
    } catch (error) {
      // As the session's stream() does: the iteration throws.
      // eslint-disable-next-line require-yield -- an iterator whose first next() rejects
      return (async function* (): AsyncGenerator<CommandEvent> {
        throw error;
      })();
    }
    const session = this.#session;
    if (session) return session.stream(command, merged);
    const ready = this.#ready();
    return (async function* () {
      yield* (await ready).stream(command, merged);
    })();
  }

  /**
   * Opens another bash session in this sandbox (starting the runner first if needed): its own cwd,
   * variables and command queue, the same files and limits. It runs commands at the same time as
   * the runner's session and the other shells, and ends with the runner.
   * @throws ShellLimitError when `maxShells` shells are open; SessionClosedError once the runner has ended.
   * @example
   * await using shell = await runner.openShell();
   * await shell.run('cd /tmp');
   */
  async openShell(options: ShellOptions = {}): Promise<SandboxShell> {
    checkShellOptions(options);
    const container = await this.#fileContainer();
    const ended = this.#session?.closeInfo;
    if (ended) throw new SessionClosedError(ended);
    const context = {
      docker: this.#docker,
      container,
      sandbox: this.#sandbox,
      defaults: this.#defaults,
      readyTimeoutMs: this.#options.startTimeoutMs,
      ...this.#held(),
    };
    return this.#freezer.hold(() => this.#shells.open(context, options));
  }

  /**
   * Puts bytes (a Buffer) or a local file (a path string) at `path` in the sandbox; relative paths
   * are under the workdir. What is put belongs to the sandbox user.
   * @throws FilePermissionError (e.g. a read-only root), FileTypeError, FileTransferError
   * @example await runner.putFile('input.txt', Buffer.from('hello\n'));
   */
  async putFile(path: string, source: Uint8Array | string, options: PutOptions = {}): Promise<TransferResult> {
    this.#checkTransfer(options, PUT_OPTION_NAMES, 'putFile()', [path, 'path']);
    if (typeof source === 'string') hostPath(source, 'source');
    else if (!(source instanceof Uint8Array)) throw new InvalidArgumentError('source', 'bytes (a Uint8Array or Buffer) or a local file path', source);
    return this.#freezer.hold(async () => putFile(await this.#fileContainer(), path, source, { ...this.#fileOptions(), ...options }));
  }

  /**
   * Copies a local directory tree into the sandbox at `containerDir`.
   * @example await runner.putDirectory('./images', 'inputs');
   */
  async putDirectory(localDir: string, containerDir: string, options: PutOptions = {}): Promise<TransferResult> {
    this.#checkTransfer(options, PUT_OPTION_NAMES, 'putDirectory()', [containerDir, 'containerDir']);
    hostPath(localDir, 'localDir');
    return this.#freezer.hold(async () => putDirectory(await this.#fileContainer(), localDir, containerDir, { ...this.#fileOptions(), ...options }));
  }

  /**
   * Reads a file of the sandbox, with the sandbox user's permissions, bounded by `maxBytes`
   * (default 256 MiB).
   * @throws FileNotFoundError, FilePermissionError, FileTypeError (a directory), ArchiveLimitError
   * @example const bytes = await runner.getFile('thumbs/a.jpg');
   */
  async getFile(path: string, options: GetFileOptions = {}): Promise<Buffer> {
    this.#checkTransfer(options, GET_FILE_OPTION_NAMES, 'getFile()', [path, 'path']);
    return this.#freezer.hold(async () => getFile(await this.#fileContainer(), path, { ...this.#fileOptions(), ...options }));
  }

  /** Like `getFile`, as a stream of the file's bytes (bounded the same way). */
  async getFileStream(path: string, options: GetFileOptions = {}): Promise<Readable> {
    this.#checkTransfer(options, GET_FILE_OPTION_NAMES, 'getFileStream()', [path, 'path']);
    return this.#freezer.hold(async () => getFileStream(await this.#fileContainer(), path, { ...this.#fileOptions(), ...options }));
  }

  /**
   * Copies a directory of the sandbox to `localDir` on the host. The archive is treated as hostile:
   * nothing is written outside `localDir`, no link out of it is followed or made, devices are
   * skipped, and it stops at `maxBytes` (default 1 GiB) / `maxEntries` (100 000).
   * @throws UnsafeArchiveError, ArchiveLimitError, FileNotFoundError, FilePermissionError
   * @example await runner.getDirectory('thumbs', './out/thumbs');
   */
  async getDirectory(containerDir: string, localDir: string, options: GetDirectoryOptions = {}): Promise<TransferResult> {
    this.#checkTransfer(options, GET_DIRECTORY_OPTION_NAMES, 'getDirectory()', [containerDir, 'containerDir']);
    hostPath(localDir, 'localDir');
    return this.#freezer.hold(async () => getDirectory(await this.#fileContainer(), containerDir, localDir, { ...this.#fileOptions(), ...options }));
  }

  /**
   * Starts `command` (bash) in the background, beside the session, and resolves with its handle once
   * it runs: live `stdout` / `stderr`, `stdin`, `wait()`, `kill()`. It starts from the sandbox's
   * defaults (workdir, HOME, env), not the session's cwd or variables; same user, limits and
   * sandbox. `run()` keeps answering meanwhile. `stop()` ends every spawned process.
   * @throws SpawnFailedError (e.g. `cwd` missing), SessionClosedError (the runner was stopped), CommandCanceledError (`signal` already aborted)
   * @example
   * const sleeper = await runner.spawn('sleep 60');
   * console.log(sleeper.pid, runner.processes().length); // e.g. 12 1
   * await sleeper.kill();
   */
  spawn(command: string, options: SpawnOptions = {}): Promise<SandboxProcess> {
    return this.#spawned.spawn(command, options, async () => {
      if (this.#stopping) throw this.#stoppedError();
      const session = await this.#ready();
      if (session.isClosed) throw new SessionClosedError(session.closeInfo ?? { reason: 'stopped', detail: 'the session has ended' });
      const container = this.#container as Dockerode.Container;
      return {
        docker: this.#docker,
        container,
        user: this.#sandbox.user,
        workdir: this.#sandbox.workdir,
        maxOutputBytes: this.#options.maxOutputBytes,
        ...this.#held(),
      };
    });
  }

  /** The processes `spawn()` started that are still running, oldest first. */
  processes(): SandboxProcess[] {
    return this.#spawned.list();
  }

  /**
   * Opens a terminal in the sandbox, beside the session: `command` (an interactive bash by default)
   * on a real pseudo-terminal of `cols` x `rows`, as the sandbox's user, from its workdir. Resolves
   * once it runs, with its handle: `output`, `write()`, `resize()`, `wait()`, `kill()`. `stop()`
   * ends every terminal.
   * @throws SpawnFailedError (e.g. `cwd` missing), SessionClosedError (the runner was stopped)
   * @example
   * const pty = await runner.pty({ cols: 120, rows: 40 });
   * pty.write('exit 7\r');
   * console.log(await pty.wait()); // 7
   */
  pty(options: PtyOptions = {}): Promise<SandboxPty> {
    return this.#terminals.open(options, async () => {
      if (this.#stopping) throw this.#stoppedError();
      const session = await this.#ready();
      if (session.isClosed) throw new SessionClosedError(session.closeInfo ?? { reason: 'stopped', detail: 'the session has ended' });
      return {
        docker: this.#docker,
        container: this.#container as Dockerode.Container,
        user: this.#sandbox.user,
        workdir: this.#sandbox.workdir,
        maxOutputBytes: undefined,
        ...this.#held(),
      };
    });
  }

  /**
   * Makes the server on `containerPort` inside the sandbox reachable from the host, while the
   * sandbox's network stays off: connections to the forward's `host:port` (loopback by default, a
   * free port unless `hostPort` says) reach `127.0.0.1:containerPort` in the sandbox, carried by a
   * relay over the Docker API. `stop()` closes every forward.
   * @throws PortInUseError, PortForwardError (e.g. no `perl` in the image), SessionClosedError (the runner was stopped)
   * @example
   * await runner.spawn('perl server.pl 8080');
   * const forward = await runner.forwardPort(8080);
   * console.log(forward.url); // e.g. http://127.0.0.1:39215/
   */
  forwardPort(containerPort: number, options: ForwardPortOptions = {}): Promise<PortForward> {
    return this.#forwards.forward(containerPort, options, async () => {
      if (this.#stopping) throw this.#stoppedError();
      const session = await this.#ready();
      if (session.isClosed) throw new SessionClosedError(session.closeInfo ?? { reason: 'stopped', detail: 'the session has ended' });
      return { container: this.#container as Dockerode.Container, user: this.#sandbox.user, ...this.#held() };
    });
  }

  /** The forwards `forwardPort()` opened that are still open, oldest first. */
  forwards(): PortForward[] {
    return this.#forwards.list();
  }

  /**
   * Takes a snapshot of the sandbox: an image of every writable place (tmpfs mounts included) with
   * the session's shell state, for `DockerRunner.start({ snapshot })`. It runs in the session's
   * queue, after the commands queued before it (with `wait: false`, a busy session refuses at once),
   * with every process of the sandbox stopped while its files are captured. Background processes
   * are not carried (`snapshot.processes` lists them); bind mounts are not copied.
   * @throws SandboxBusyError (`wait: false`), SnapshotFailedError, SessionClosedError, DockerApiError
   * @example
   * await runner.run('cd /tmp && export STAGE=built');
   * const snapshot = await runner.snapshot({ name: 'built' });
   * await using child = await DockerRunner.start({ snapshot });
   * await child.run('echo $STAGE'); // built
   */
  async snapshot(options: SnapshotOptions = {}): Promise<Snapshot> {
    checkSnapshotOptions(options);
    return takeSnapshot(await this.#snapshotSource(), options);
  }

  /**
   * Snapshot and start in one call: a new sandbox (or `count` of them, in an array) in this one's
   * state, with its options. Each is independent: nothing one does is seen by this sandbox or a
   * sibling. The snapshot image is temporary: the last child to stop removes it.
   * @throws as `snapshot()`, and as `DockerRunner.start()` (any child failing stops the others)
   * @example
   * const children = await runner.fork({ count: 2 });
   * await Promise.all(children.map((child, i) => child.run(`make test-${i}`)));
   */
  fork(options?: ForkOptions & { count?: undefined }): Promise<DockerRunner>;
  fork(options: ForkOptions & { count: number }): Promise<DockerRunner[]>;
  async fork(options: ForkOptions = {}): Promise<DockerRunner | DockerRunner[]> {
    checkForkOptions(options);
    const children = options.live ? await this.#liveFork(options.count ?? 1) : await this.#forkFiles(options);
    return options.count === undefined ? (children[0] as DockerRunner) : children;
  }

  /** A fork of files and shell state: in place for a read-only root, else through a snapshot image. */
  async #forkFiles(options: ForkOptions): Promise<DockerRunner[]> {
    const docker = this.#docker;
    const source = await this.#snapshotSource();
    if (!source.sandbox.readOnly) return forkSandbox(source, options, (snapshot) => DockerRunner.start({ docker, snapshot }));
    const start = (image: string) => DockerRunner.start({ ...(source.runnerOptions as DockerRunnerOptions), docker, image, pull: 'never' });
    const sandboxOf = (child: DockerRunner) => ({
      container: child.#container as Dockerode.Container,
      session: child.#session as Session,
      user: child.#sandbox.user,
    });
    return forkInPlace(source, options, start, sandboxOf);
  }

  /** `fork({ live: true })`: hibernate, start the forks from the checkpoint, wake this sandbox again. */
  async #liveFork(count: number): Promise<DockerRunner[]> {
    if (this.#sandbox.readOnly === false) {
      throw new InvalidArgumentError('live', 'left out for a sandbox with a writable root (a live fork carries a read-only one)', true);
    }
    const container = (await this.#fileContainer()) as Dockerode.Container;
    this.#waking = true;
    await this.hibernate().finally(() => {
      this.#waking = false;
    });
    const hibernated = (await readLease(this.#docker, container.id)) as Lease;
    const handOver: HandOver = { shellPid: hibernated.shellPid ?? 0, tasks: hibernated.tasks ?? 0 };
    let ids: string[] = [];
    try {
      const labelsFor = () => runnerLabels(uuidv4(), this.#options.labels, { options: this.#madeWith(), expiresAt: this.#expiresAt });
      ids = await liveForks(this.#docker, container, hibernated, count, labelsFor);
    } finally {
      // This sandbox wakes into this runner, forks or not.
      await removeLease(this.#docker, container.id, 'hibernated');
      this.#stopping = undefined;
      this.#newClosed();
      await this.#takeOver(container, handOver, hibernated.checkpoint);
      if (this.#leased) await writeLease(this.#docker, { containerId: container.id, state: 'held', owner: currentOwner(), since: Date.now() });
      this.#armLifetime();
    }
    const docker = this.#docker;
    const children = await Promise.allSettled(
      ids.map((id) => DockerRunner.connect(id, { docker, timeoutMs: this.#defaults.timeoutMs, maxShells: this.#options.maxShells })),
    );
    const failed = children.find((child): child is PromiseRejectedResult => child.status === 'rejected');
    if (failed) {
      await Promise.all(children.map((child) => (child.status === 'fulfilled' ? child.value.stop() : undefined)));
      await Promise.all(ids.map((id) => removeSandbox(docker, id).catch(() => {})));
      throw failed.reason;
    }
    return children.map((child) => (child as PromiseFulfilledResult<DockerRunner>).value);
  }

  /**
   * Ends the session gracefully: waits for queued commands, then bash runs `exit` (the user's EXIT
   * trap runs), and the container is removed.
   * Use `stop()` to end at once.
   */
  async close(): Promise<void> {
    if (this.#stopping) return this.#stopping;
    // An idle session lets the process exit; closing is work the caller waits for.
    this.#keepAlive();
    await this.#starting?.catch(() => {});
    // Graceful: the queued commands run to their end, so a frozen sandbox thaws first.
    if (this.isPaused) await this.resume();
    const session = this.#session;
    if (session && !session.isClosed) {
      await session.drain();
      // bash's input outlives our connection (see container-spec.ts): `exit` ends it as end of input
      // would, with the last command's status, after the user's EXIT trap.
      await session.run('exit').catch(() => {});
    }
    await this.stop();
  }

  /**
   * Hands the sandbox over to nobody, after the commands already queued: the container runs on with
   * its bash session and state, and resolves with its id, for `DockerRunner.connect(id)` from any
   * process on the same engine. This runner is done (its calls reject with `SessionClosedError`,
   * reason 'detached'), and neither its reaper nor `prune()` removes the sandbox while detached.
   * What hangs on this process's connections ends: processes from `spawn()` and `pty()`, extra
   * shells, port forwards; the session's own background jobs (`cmd &`, `nohup`) run on. With no
   * command for `idleTimeoutMs`, the sandbox ends itself (its container exits; `prune()` removes it).
   * @throws SessionClosedError when the session has already ended
   * @example
   * const id = await runner.detach({ idleTimeoutMs: 30 * 60_000 });
   * console.log(id); // the container id
   */
  async detach(options: DetachOptions = {}): Promise<string> {
    checkOptionsObject(options, ['idleTimeoutMs'], 'detach()');
    checkDuration(options.idleTimeoutMs, 'idleTimeoutMs');
    await this.start();
    // A sandbox connected to while paused may have no session yet: it is handed on as it came.
    const session = this.#opening && this.isPaused ? this.#session : await this.#ready();
    if (this.#stopping) throw this.#stoppedError();
    const ended = session?.closeInfo;
    if (ended) throw new SessionClosedError(ended);
    const container = this.#container as Dockerode.Container;
    const detaching = this.#detach(session, container, options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
    // A detach that fails half-way leaves nothing to hand over: the sandbox goes as with stop().
    this.#stopping = detaching.catch(() => this.#stop());
    await detaching;
    return container.id;
  }

  /**
   * Takes a gVisor sandbox (`runtime: 'runsc'`) out of memory and CPU entirely, processes and all:
   * after the commands already queued, its whole state (the session, background processes, memory,
   * files) is checkpointed to the engine's disk and the container stops. Resolves with its id;
   * `DockerRunner.connect(id)` from any process wakes it where it was. This runner is done, as after
   * `detach()` (calls reject with `SessionClosedError`, reason 'hibernated'). Needs the engine's
   * experimental features (`scripts/ensure-docker.sh` turns them on for an engine it starts).
   * @throws HibernateUnsupportedError (not gVisor, or no experimental features), CheckpointFailedError
   *   (the engine's message; the runner then goes on as it was), SessionClosedError
   * @example
   * const runner = await DockerRunner.start({ runtime: 'runsc' });
   * await runner.run('sleep 1000 &');
   * const id = await runner.hibernate();
   * const woken = await DockerRunner.connect(id); // the sleep still runs
   */
  async hibernate(): Promise<string> {
    const session = await this.#ready();
    if (this.#stopping) throw this.#stoppedError();
    const ended = session.closeInfo;
    if (ended) throw new SessionClosedError(ended);
    const container = this.#container as Dockerode.Container;
    // Before anything is handed over: a runc sandbox is refused as it is.
    await checkGvisor(this.#docker, await container.inspect());
    const hibernating = this.#hibernate(session, container);
    this.#stopping = hibernating.then(
      () => {},
      () => {
        this.#stopping = undefined;
      },
    );
    await hibernating;
    return container.id;
  }

  /**
   * A fresh shell in the same sandbox: same container, files, spawned processes and forwards; a
   * new bash with the sandbox's environment and workdir, nothing of the old one's state. After a
   * command ran `exit` (which ends the session, `SessionClosedError`), this goes on; on a live
   * session it runs `exit` first, after the commands already queued. When the shell is gone for
   * good (replaced by `exec`, killed, the container stopped), there is nothing to go on with:
   * `SessionClosedError` saying why; start a new runner.
   * @example
   * await runner.run('exit 3').catch(() => {}); // SessionClosedError: bash exited with status 3
   * await runner.restart();
   * await runner.run('ls'); // the files are still there
   */
  async restart(): Promise<void> {
    const session = await this.#ready();
    if (!session.isClosed) await session.run('exit 0').catch(() => {});
    if (this.#stopping || !session.isRestartable) {
      const info = this.#stopping ? { reason: 'stopped' as const, detail: 'the runner was stopped' } : (session.closeInfo as SessionCloseInfo);
      throw new SessionClosedError(info);
    }
    this.#newClosed();
    await this.#openSession();
  }

  /**
   * Freezes the sandbox with the engine's freezer (`docker pause`), starting the runner first if
   * needed: nothing in it runs (commands, background jobs, spawned processes, terminals, relays)
   * until `resume()`, and it keeps its memory. Meanwhile `run()` and the other calls wait for the
   * resume and then complete; timeouts do not count paused time. `stop()` works while paused;
   * `close()` resumes first. Idempotent.
   * @throws SessionClosedError once the runner was stopped; DockerApiError when the engine refuses.
   * @example
   * await runner.pause();
   * const later = runner.run('date +%s'); // waits
   * await runner.resume(); // now it runs
   * console.log((await later).stdout);
   */
  pause(): Promise<void> {
    return this.#freezer.pause(() => this.#fileContainer());
  }

  /**
   * Thaws a paused sandbox: its processes go on where they were, then the waiting calls; the
   * timeouts count down again from what they had left. Idempotent (a no-op when not paused).
   * @throws SessionClosedError once the runner was stopped; DockerApiError when the engine refuses.
   * @example await runner.resume();
   */
  resume(): Promise<void> {
    return this.#freezer.resume(() => this.#fileContainer());
  }

  /**
   * For RunnerPool's `policy: 'recycle'`: records the sandbox as it is now, right after the start
   * and before any job, as the state each recycle must bring it back to (see recycle/recycler.ts).
   * @internal
   */
  async recycleBaseline(): Promise<void> {
    await this.#recycler.takeBaseline(await this.#recycleContext());
  }

  /**
   * For RunnerPool's `policy: 'recycle'`: cleans the sandbox after a job and proves it as clean as
   * at the baseline, or says why it is not (the pool then destroys it). Never throws.
   * @internal
   */
  async recycle(): Promise<RecycleOutcome> {
    const context = await this.#recycleContext().catch(() => undefined);
    return context ? this.#recycler.recycle(context) : { clean: false, reason: 'the runner has ended' };
  }

  /** @internal The stage times of the last recycle, for the bench. */
  get recycleTimings(): Recycler['lastTimings'] {
    return this.#recycler.lastTimings;
  }

  async #recycleContext(): Promise<RecycleContext> {
    const session = await this.#ready();
    const info: SessionCloseInfo = { reason: 'stopped', detail: 'the sandbox was recycled for the next job' };
    return {
      container: this.#container as Dockerode.Container,
      workdir: this.#sandbox.workdir,
      readOnly: this.#sandbox.readOnly,
      session,
      endHandles: async () => {
        this.#endHandles(info, false);
        await this.#forwards.closeAll(false);
      },
      reopen: () => {
        this.#newClosed();
        return this.#openSession();
      },
    };
  }

  /** True from `pause()` until `resume()`: the sandbox is frozen (or about to be). */
  get isPaused(): boolean {
    return this.#freezer.isPaused;
  }

  /**
   * Kills and removes the container. Running and queued commands reject with `SessionClosedError`
   * (reason `stopped`). Idempotent; safe to call while `start()` is still under way.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  /**
   * Ends the session at once as if its connection broke, for a caller that knows the engine stopped
   * answering (RunnerPool does this for an endpoint it found dead): running and queued commands
   * reject with `SessionClosedError` (reason `'transport-error'`, the given `detail`) without waiting
   * on the engine; then the container is removed like `stop()` does, once the engine answers.
   * Idempotent, and a no-op after `stop()`.
   * @example await runner.abandon('the Docker host build-2 stopped answering');
   */
  abandon(detail: string): Promise<void> {
    if (typeof detail !== 'string') return Promise.reject(new InvalidArgumentError('detail', 'a string saying why', detail));
    this.#stopping ??= this.#stop({ reason: 'transport-error', detail });
    return this.#stopping;
  }

  /** `stop()`, for `await using runner = await DockerRunner.start()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #detach(session: Session | undefined, container: Dockerode.Container, idleTimeoutMs: number): Promise<void> {
    this.#keepAlive();
    const info: SessionCloseInfo = { reason: 'detached', detail: `the sandbox ${container.id} was detached` };
    this.#endHandles(info);
    await this.#forwards.closeAll();
    clearTimeout(this.#lifetimeTimer);
    // A take-over still waiting for a resume (see #adopt) will not happen now.
    if (!session) this.#freezer.end(new SessionClosedError(info));
    const limitMs = Math.min(idleTimeoutMs, this.#expiresAt === undefined ? Infinity : this.#expiresAt - Date.now());
    // A frozen shell cannot answer the hand-over: an idle one is handed on as it rests, with no idle
    // limit (it is frozen; its lifetime still counts, and prune() enforces it from outside).
    const resting = this.isPaused ? (session ? session.restingState : this.#adoptedHandOver) : undefined;
    const handOver = resting ?? (await (session ?? (await this.#ready())).handOver(limitMs === Infinity ? null : limitMs / 1000));
    const idleMs = resting ? Infinity : limitMs;
    const since = Date.now();
    const lease = { containerId: container.id, state: 'detached' as const, since, ...handOver };
    await writeLease(this.#docker, idleMs === Infinity ? lease : { ...lease, expiresAt: since + idleMs });
    // A sandbox this process connected to has a lease saying it holds it: no more.
    if (this.#leased) await removeLease(this.#docker, container.id, 'held');
    session?.destroy(info);
    if (!session) this.#resolveClosed(info);
    this.#release?.(info);
    log('detached container %s (idle limit %d ms)', container.id, limitMs);
  }

  async #hibernate(session: Session, container: Dockerode.Container): Promise<void> {
    this.#keepAlive();
    const info: SessionCloseInfo = { reason: 'hibernated', detail: `the sandbox ${container.id} was hibernated` };
    // No idle limit inside: the shell's clock would count the time asleep.
    const handOver = await session.handOver(null);
    // The checkpoint ends the container's connections: this one goes quietly first.
    this.#release?.(info);
    let checkpoint: string;
    try {
      ({ checkpointName: checkpoint } = await hibernateContainer(this.#docker, container));
    } catch (error) {
      // Nothing was saved and the sandbox runs on: this runner takes its session back.
      this.#newClosed();
      await this.#takeOver(container, handOver).catch(() => {});
      throw error;
    }
    this.#endHandles(info);
    await this.#forwards.closeAll();
    clearTimeout(this.#lifetimeTimer);
    await writeLease(this.#docker, { containerId: container.id, state: 'hibernated', since: Date.now(), checkpoint, ...handOver });
    if (this.#leased) await removeLease(this.#docker, container.id, 'held');
    session.destroy(info);
    log('hibernated container %s (checkpoint %s)', container.id, checkpoint);
  }

  /** Attaches to the sandbox (waking it from `checkpoint` first) and takes its session over. */
  async #takeOver(container: Dockerode.Container, handOver: HandOver, checkpoint?: string): Promise<Session> {
    const { transport, socket, release } =
      checkpoint === undefined
        ? await attachShell(container).catch((error: unknown) => {
            throw dockerError(this.#docker, 'attach to the container', error);
          })
        : (await wakeContainer(this.#docker, container, checkpoint)).attached;
    this.#socket = socket;
    this.#release = release;
    this.#transport = transport;
    return this.#openSession(handOver);
  }

  /** Takes over a claimed sandbox (see `connect()`); on failure, it is left detached as it was. */
  async #adopt(claimed: ClaimedSandbox): Promise<this> {
    const { info, lease } = claimed;
    const container = this.#docker.getContainer(info.Id);
    this.#container = container;
    this.#expiresAt = claimed.expiresAt;
    this.#leased = true;
    const handOver: HandOver = { shellPid: lease.shellPid ?? 0, tasks: lease.tasks ?? 0 };
    this.#adoptedHandOver = handOver;
    const checkpoint = lease.state === 'hibernated' ? lease.checkpoint : undefined;
    const takeOver = (): Promise<Session> =>
      this.#takeOver(container, handOver, checkpoint).catch((error: unknown) => {
        throw error instanceof SessionClosedError ? new SandboxNotFoundError(info.Id, 'ended', error.detail, { cause: error }) : error;
      });
    try {
      // The engine attaches to no paused container, and a frozen shell answers nothing: the runner
      // is handed out paused (so that resume() can be called), and takes the session over on resume.
      const paused = info.State.Paused === true;
      this.#freezer.adopt(paused);
      if (paused) {
        this.#opening = this.#freezer.hold(takeOver);
        this.#opening.catch(() => {});
      } else {
        await takeOver();
      }
      this.#armLifetime();
      log('connected to container %s', info.Id);
      return this;
    } catch (error) {
      this.#leased = false;
      this.#socket?.destroy();
      await releaseClaim(this.#docker, claimed).catch(() => {});
      throw error instanceof DockerShellError ? error : dockerError(this.#docker, 'connect to the sandbox', error);
    }
  }

  /** Past its lifetime, the sandbox goes, whoever holds it. */
  #armLifetime(): void {
    if (this.#expiresAt === undefined) return;
    // setTimeout's longest delay is about 24.8 days: a longer lifetime is waited for in steps.
    const delay = Math.min(Math.max(0, this.#expiresAt - Date.now()), 2 ** 31 - 1);
    this.#lifetimeTimer = setTimeout(() => {
      if (Date.now() < (this.#expiresAt as number)) return this.#armLifetime();
      this.#stopping ??= this.#stop({ reason: 'expired', detail: `the sandbox reached its lifetime (lifetimeMs: ${this.#options.lifetimeMs ?? 'as made'})` });
      void this.#stopping.catch(() => {});
    }, delay);
    this.#lifetimeTimer.unref();
  }

  async #ready(): Promise<Session> {
    await this.start();
    if (this.#opening) await this.#opening;
    const session = this.#session as Session;
    return session;
  }

  async #start(): Promise<this> {
    // Before any container exists: the reaper removes this process's containers when it dies.
    ensureReaper(this.#docker);
    if (this.#options.snapshot !== undefined) await this.#fromSnapshot();
    const image = this.image;
    try {
      const lifetimeMs = this.#options.lifetimeMs;
      this.#expiresAt = lifetimeMs === undefined || lifetimeMs === Infinity ? undefined : Date.now() + lifetimeMs;
      const labels = runnerLabels(this.#runnerId, this.#options.labels, { options: this.#madeWith(), expiresAt: this.#expiresAt });
      const spec = containerSpec({ image, sandbox: this.#sandbox, labels });
      // No image inspect first: the create says when the image is missing (then it is pulled, by `pull`).
      const create = () => createWithQuota(this.#docker, spec, this.#sandbox.diskBytes);
      const { container, hasQuota } = await createFromImage(this.#docker, image, this.#options.pull, create).catch((error: unknown) => {
        throw error instanceof DockerShellError ? error : dockerError(this.#docker, `create a container from ${image}`, error);
      });
      this.#container = container;
      log('created container %s from %s', this.#container.id, image);
      await prepareWorkdir(this.#container, this.#sandbox).catch((error: unknown) => {
        throw dockerError(this.#docker, `make the working directory ${this.#sandbox.workdir}`, error);
      });
      const { transport, socket, release } = await attachShell(this.#container).catch((error: unknown) => {
        throw dockerError(this.#docker, 'attach to the container', error);
      });
      this.#socket = socket;
      this.#release = release;
      await this.#container.start().catch((error: unknown) => {
        const reason = (error as { json?: { message?: string } }).json?.message ?? (error as Error).message;
        throw new StartFailedError(image, `the container did not start (${reason})`, error);
      });
      log('started container %s', this.#container.id);
      if (this.#stopping) throw this.#stoppedError();
      this.#transport = transport;
      this.#hasQuota = hasQuota;
      await this.#openSession().catch((error: unknown) => {
        throw error instanceof SessionClosedError ? new StartFailedError(image, error.detail, error) : error;
      });
      if (this.#snapshotStart) await restoreSession(this.#session as Session, this.#snapshotStart.snapshot);
      this.#armLifetime();
      return this;
    } catch (error) {
      await this.#teardown();
      throw error instanceof DockerShellError ? error : dockerError(this.#docker, 'start the runner', error);
    }
  }

  /** A session on the shell the transport reaches (at start, and after `exit` for `restart()`). */
  async #openSession(handOver?: HandOver): Promise<Session> {
    const container = this.#container as Dockerode.Container;
    const control = killControl(container, this.#sandbox.user, () => void this.stop().catch(() => {}), this.#held().hold);
    const options = { readyTimeoutMs: this.#options.startTimeoutMs, control, detectOom: true, tag: RUNNER_SESSION_TAG, timers: this.#timers };
    const transport = this.#transport as ShellTransport;
    const session = handOver ? await Session.resume(transport, handOver, options) : await Session.open(transport, options);
    this.#session = session;
    if (this.#output) session.output.pipe(this.#output, { end: false });
    if (!this.#sandbox.readOnly && !this.#hasQuota) this.#watchDisk(container);
    void session.closed.then((info) => {
      this.#stopWatching?.();
      log('session of container %s closed: %s (%s)', container.id, info.reason, info.detail);
      if (!session.isRestartable && !this.#waking) this.#output?.end();
      this.#resolveClosed(info);
    });
    return session;
  }

  #newClosed(): void {
    this.#closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
  }

  /** A writable root without the engine's quota: past `disk`, the sandbox ends (and its layer goes with it). */
  #watchDisk(container: Dockerode.Container): void {
    const limitBytes = this.#sandbox.diskBytes;
    this.#stopWatching = watchLayer(container, {
      limitBytes,
      onExceeded: (sizeBytes) => {
        log('container %s wrote %d bytes to its layer, past %d', container.id, sizeBytes, limitBytes);
        this.#stopping ??= this.#stop({ reason: 'disk-limit', detail: diskLimitDetail(sizeBytes, limitBytes) });
        void this.#stopping.catch(() => {});
      },
    });
  }

  async #stop(info: SessionCloseInfo = { reason: 'stopped', detail: 'the runner was stopped' }): Promise<void> {
    // Removing a paused container needs no thaw; what waits for a resume gives up now.
    this.#freezer.end(new SessionClosedError(info));
    this.#keepAlive();
    clearTimeout(this.#lifetimeTimer);
    this.#endHandles(info);
    await this.#forwards.closeAll();
    // Commands end now, even when the engine does not answer (a start under way waits for it).
    // A session that already ended (e.g. given up as unresponsive, which stops the runner) keeps
    // its own reason: `closed` follows the session's.
    if (this.#session) this.#session.destroy(info);
    else this.#resolveClosed(info);
    await this.#starting?.catch(() => {});
    this.#session?.destroy(info);
    await this.#teardown();
  }

  /**
   * Ends what hangs on this process's connections to the sandbox (not the session itself). Not
   * final: the sandbox is recycled for the next job, which may open such handles again.
   */
  #endHandles(info: SessionCloseInfo, final = true): void {
    this.#spawned.stopAll(final);
    if (final) this.#stopWatching?.();
    this.#terminals.stopAll(final);
    this.#shells.endAll(info, final);
  }

  /** What the sandbox is made with, kept in a label for a process that connects to it later. */
  #madeWith(): Record<string, unknown> {
    const made: Record<string, unknown> = { image: this.image };
    for (const name of [...SANDBOX_OPTION_NAMES, 'labels']) {
      const value = (this.#options as Record<string, unknown>)[name];
      if (value !== undefined) made[name] = value;
    }
    return made;
  }

  async #teardown(): Promise<void> {
    this.#socket?.destroy();
    const container = this.#container;
    if (!container) return;
    try {
      await container.remove({ force: true, v: true });
      log('removed container %s', container.id);
      if (this.#leased) await removeLease(this.#docker, container.id, 'held').catch(() => {});
    } catch (error) {
      // 404: already gone; 409: removal already under way.
      const status = statusOf(error);
      if (status !== 404 && status !== 409) throw dockerError(this.#docker, `remove container ${container.id}`, error);
    }
    await releaseIfForkImage(this.#docker, this.image, this.#snapshotStart?.snapshot);
  }

  /** The options of a start from a snapshot: the parent's, under those given to this runner. */
  async #fromSnapshot(): Promise<void> {
    this.#snapshotStart = await prepareSnapshotStart(this.#docker, { ...this.#options });
    this.#options = this.#snapshotStart.options as DockerRunnerOptions;
    this.#sandbox = resolveSandbox(this.#options);
    this.#defaults = { timeoutMs: this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxOutputBytes: this.#options.maxOutputBytes };
  }

  async #snapshotSource(): Promise<SnapshotSource> {
    if (this.#stopping) throw this.#stoppedError();
    const session = await this.#ready();
    if (session.isClosed) throw new SessionClosedError(session.closeInfo ?? { reason: 'stopped', detail: 'the session has ended' });
    const runnerOptions = carriedOptions({ ...this.#options }, SANDBOX_OPTION_NAMES);
    const container = this.#container as Dockerode.Container;
    return { docker: this.#docker, container, session, sandbox: this.#sandbox, runnerOptions, containerLabels: runnerLabels(this.#runnerId) };
  }

  async #fileContainer(): Promise<Dockerode.Container> {
    await this.start();
    return this.#container as Dockerode.Container;
  }

  #fileOptions(): PutOptions {
    return { workdir: this.#sandbox.workdir, user: this.#sandbox.user, owner: this.#sandbox.owner };
  }

  /** A command's options over the runner's defaults, checked before anything starts. An option given as undefined keeps the default. */
  #runOptions(command: string, options: RunOptions): RunOptions {
    if (typeof command !== 'string') throw new InvalidArgumentError('command', 'a string', command);
    checkRunOptions(options);
    const merged: Record<string, unknown> = { ...this.#defaults };
    for (const [key, value] of Object.entries(options)) if (value !== undefined) merged[key] = value;
    return merged as RunOptions;
  }

  /** A transfer's options and container path, checked before the runner is started for it. */
  #checkTransfer(options: unknown, known: readonly string[], owner: string, [path, option]: [unknown, string]): void {
    checkTransferOptions(options, known, owner);
    containerPath(path, this.#sandbox.workdir, option);
  }

  /** What the capabilities need to respect a pause: the shared clock, and a hold for their engine calls. */
  #held(): { timers: SuspendableTimers; hold: Hold } {
    return { timers: this.#timers, hold: (start) => this.#freezer.hold(start) };
  }

  #keepAlive(): void {
    (this.#socket as { ref?: () => void } | undefined)?.ref?.();
  }

  #stoppedError(): SessionClosedError {
    return new SessionClosedError({ reason: 'stopped', detail: 'the runner was stopped' });
  }
}
