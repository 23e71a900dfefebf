// @ts-check
/**
 * The reaper process: started by `ensureReaper()` (reaper.ts), it outlives its owner, a Node process
 * using docker-shell, and removes the owner's containers once the owner is gone, however it went
 * (normal exit, an uncaught exception, SIGTERM, SIGKILL, the OOM killer).
 *
 * How it knows: its stdin is a pipe whose only writer is the owner. The owner never writes; when it
 * dies, the kernel closes its end and this process reads end-of-file. No polling, no pid checks.
 *
 * Plain JavaScript on purpose: it is spawned with a bare `node` and no loader, and runs the same from
 * the sources (src/docker, under tsx or vitest) and from the build (dist/docker, where the build
 * copies it), wherever the owner itself runs from.
 *
 * Input: the environment variable DOCKER_SHELL_REAPER_CONFIG, JSON `{ docker, owner, leases, filters }`:
 * dockerode's connection options (Buffers as `{ "$base64": "..." }`), the owner label value, the
 * labels and name prefix of lease volumes, and the listContainers filters that select the owner's
 * containers. The environment, unlike argv, is not shown to other users by `ps`.
 */

// First thing, before anything can be slow: Ctrl-C in the owner's terminal and the terminal going
// away are the owner's end, not ours. (Being detached, we normally get neither; this is the fallback.)
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});

/** Whatever happens, the reaper is gone after this long: it must never linger. */
const DEADLINE_MS = 60_000;
/** Attempts at a sweep when the engine fails (e.g. dockerd restarting), and the pause after each. */
const RETRY_DELAYS_MS = [500, 1000, 2000, 4000, 8000];

const config = JSON.parse(process.env.DOCKER_SHELL_REAPER_CONFIG ?? '{}', (_key, value) =>
  value !== null && typeof value === 'object' && typeof value.$base64 === 'string' ? Buffer.from(value.$base64, 'base64') : value,
);
// dockerode is loaded only when there is work: until its owner ends, the reaper is an idle Node with
// nothing loaded, which takes no CPU from the owner's own start (dockerode costs ~100 ms of it).
let reaping = false;
process.stdin.on('data', () => {}); // the owner never writes; reading is how end-of-file is noticed
process.stdin.once('end', reap);
process.stdin.once('error', reap); // a broken pipe means the same: the owner is gone
process.stdin.once('close', reap);

async function reap() {
  if (reaping) return;
  reaping = true;
  setTimeout(() => process.exit(1), DEADLINE_MS);
  const { default: Dockerode } = await import('dockerode');
  const docker = new Dockerode(config.docker);
  for (const pause of RETRY_DELAYS_MS) {
    if (await sweep(docker)) process.exit(0);
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
  process.exit(1);
}

/**
 * Removes every container the owner holds, with its lease; true when done, false when the engine
 * failed. It holds those labelled with it as owner that have no lease (a lease says the sandbox was
 * detached, or taken over by another process), and those whose lease says it holds them.
 * @param {import('dockerode')} docker
 */
async function sweep(docker) {
  try {
    const [containers, leases] = await Promise.all([docker.listContainers({ all: true, filters: config.filters }), listLeases(docker)]);
    const held = new Set(containers.map((container) => container.Id).filter((id) => !leases.has(id)));
    for (const [id, lease] of leases) if (lease.state === 'held' && lease.owner === config.owner) held.add(id);
    await Promise.all(
      [...held].map(async (id) => {
        await docker.getContainer(id).remove({ force: true, v: true }).catch(tolerateGone);
        if (!leases.has(id)) return;
        for (const prefix of config.leases.prefixes) await docker.getVolume(`${prefix}${id}`).remove().catch(tolerateGone);
      }),
    );
    return true;
  } catch {
    return false;
  }
}

/**
 * The leases on the engine, by container id (see src/docker/detach/lease.ts).
 * @param {import('dockerode')} docker
 */
async function listLeases(docker) {
  /** @type {Map<string, { state?: string, owner?: string }>} */
  const leases = new Map();
  if (!config.leases) return leases;
  const { Volumes } = await docker.listVolumes({ filters: { label: [config.leases.of] } });
  for (const volume of Volumes ?? []) {
    try {
      const lease = JSON.parse(volume.Labels?.[config.leases.body] ?? '');
      // A held lease and a waiting one both exist only while a process takes the sandbox over: held wins.
      if (lease.state === 'held' || !leases.has(lease.containerId)) leases.set(lease.containerId, lease);
    } catch {
      // Not a lease we can read: the container it names is left alone.
      const id = volume.Labels?.[config.leases.of];
      if (id && !leases.has(id)) leases.set(id, {});
    }
  }
  return leases;
}

/** 404: already gone (`stop()` or `prune` got there first); 409: a removal is already under way. */
function tolerateGone(/** @type {{ statusCode?: number }} */ error) {
  if (error.statusCode !== 404 && error.statusCode !== 409) throw error;
}
