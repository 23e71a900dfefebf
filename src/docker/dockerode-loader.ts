/**
 * dockerode, loaded on first use and without what only some engines need. At load, dockerode
 * requires ssh2 (through docker-modem, for `ssh://` hosts) and gRPC with protobuf (for BuildKit
 * sessions): together most of its ~200 ms of start-up, which every `docker-shell` call and every
 * `import('docker-shell')` paid for a local socket that needs neither. Here those three modules
 * are stand-ins while dockerode loads, each loading the real module the first time it is used.
 *
 * How: Node's `require.cache` is checked before a module is read (documented as writable), so a
 * stand-in put at the resolved path of `ssh2` is what docker-modem's `require('ssh2')` gets. The
 * stand-ins leave the cache once dockerode is loaded: anyone else requiring these modules gets them
 * as they are.
 */
import { createRequire } from 'node:module';
import type Dockerode from 'dockerode';

const requireHere = createRequire(import.meta.url);

let dockerode: typeof Dockerode | undefined;

/** dockerode's constructor, loaded on the first call. */
export function loadDockerode(): typeof Dockerode {
  dockerode ??= loadLean();
  return dockerode;
}

function loadLean(): typeof Dockerode {
  const entry = requireHere.resolve('dockerode');
  const fromDockerode = createRequire(entry);
  const fromModem = createRequire(fromDockerode.resolve('docker-modem'));
  const standIns = [
    // docker-modem's lib/ssh.js: `var Client = require('ssh2').Client`, then `new Client()` per ssh connection.
    standIn(fromModem, 'ssh2', (load) => ({ Client: lazyClass(() => (load() as { Client: new () => object }).Client) })),
    // dockerode's lib/session.js keeps both modules and uses them only inside a BuildKit session.
    standIn(fromDockerode, '@grpc/grpc-js', lazyNamespace),
    standIn(fromDockerode, '@grpc/proto-loader', lazyNamespace),
  ];
  try {
    return requireHere('dockerode') as typeof Dockerode;
  } finally {
    for (const remove of standIns) remove();
  }
}

/**
 * Puts a stand-in for `request` (as `from` resolves it) into the require cache, made by `make`
 * from a loader of the real module; returns what takes it out again. Nothing is put when the module
 * is already loaded, or cannot be resolved (then dockerode's own require says what is missing).
 */
function standIn(from: NodeRequire, request: string, make: (load: () => unknown) => unknown): () => void {
  let path: string;
  try {
    path = from.resolve(request);
  } catch {
    return () => {};
  }
  if (from.cache[path]) return () => {};
  let real: unknown;
  const load = (): unknown => {
    // By now the stand-in has left the cache (dockerode is loaded): this reads the real module.
    real ??= from(path);
    return real;
  };
  const module = { id: path, filename: path, loaded: true, exports: make(load), children: [], paths: [] };
  from.cache[path] = module as unknown as NodeJS.Module;
  return () => {
    if (from.cache[path] === (module as unknown as NodeJS.Module)) delete from.cache[path];
  };
}

/** A module's namespace whose properties come from the real module, loaded on the first read. */
function lazyNamespace(load: () => unknown): unknown {
  return new Proxy(
    {},
    {
      get: (_target, property) => Reflect.get(load() as object, property),
      has: (_target, property) => Reflect.has(load() as object, property),
    },
  );
}

/** A constructor that loads the real class on the first `new`, and returns the real class's instance. */
function lazyClass(real: () => new (...args: unknown[]) => object): new (...args: unknown[]) => object {
  return function LazyClass(...args: unknown[]): object {
    const RealClass = real();
    return new RealClass(...args);
  } as unknown as new (...args: unknown[]) => object;
}
