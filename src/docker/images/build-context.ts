/**
 * The tar archive a build sends to the engine: an in-memory Dockerfile and files, a local
 * directory, or both. Streamed with tar-stream: a file is read when the engine reads the archive,
 * never buffered whole.
 *
 * A directory's `.dockerignore` is honoured with the same rules as the Docker CLI (through
 * `@balena/dockerignore`, the matcher dockerode uses for its own builds): ignored paths are not sent,
 * `!` exceptions bring paths back, and the Dockerfile and `.dockerignore` themselves are always sent.
 * Symbolic links are sent as links (not followed); sockets, FIFOs and devices are skipped. Owners are
 * 0:0, as the CLI sends them.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import dockerignore from '@balena/dockerignore';
import { pack as tarPack, type Header, type Pack } from 'tar-stream';

type Headers = Partial<Header> & Pick<Header, 'name'>;
import { InvalidArgumentError } from '../../errors.js';

/** Where a build's files come from; at least `dockerfile` or `context` must be given. */
export interface BuildContextSource {
  /** The Dockerfile's text. Without `context`, the only file besides `files`. */
  dockerfile?: string;
  /** A local directory sent as the build context (its own `Dockerfile` is used unless `dockerfile` is given). */
  context?: string;
  /** Extra files by relative POSIX path (e.g. `'app/main.sh'`); they win over the directory's files of the same path. */
  files?: Record<string, string | Uint8Array>;
}

export interface PackedContext {
  /** The tar archive, as a stream the request reads. */
  stream: Pack;
  /** The Dockerfile's path inside the archive (the build's `dockerfile` parameter). */
  dockerfile: string;
  /** The error that stopped packing (an unreadable file...), once there was one. */
  failure(): Error | undefined;
}

/** Validates the source and starts packing it; reading the returned stream drives the packing. */
export async function packBuildContext(source: BuildContextSource): Promise<PackedContext> {
  const { dockerfile, context } = source;
  if (dockerfile !== undefined && typeof dockerfile !== 'string') throw new InvalidArgumentError('dockerfile', "the Dockerfile's text", dockerfile);
  if (context !== undefined && (typeof context !== 'string' || context === '')) throw new InvalidArgumentError('context', 'a directory path', context);
  if (dockerfile === undefined && context === undefined) {
    throw new InvalidArgumentError('dockerfile', "the Dockerfile's text, or a `context` directory that holds a Dockerfile", undefined);
  }
  const files = normalizeFiles(source.files);
  if (context !== undefined) {
    const stats = await lstat(context).catch(() => undefined);
    if (!stats?.isDirectory()) throw new InvalidArgumentError('context', 'an existing directory', context);
  }

  // In memory: the Dockerfile is `Dockerfile`. Beside a directory: a name of its own, listed in the
  // sent .dockerignore so the engine drops it from the context (what `docker build -f - DIR` does).
  let dockerfileName = 'Dockerfile';
  if (dockerfile !== undefined && context !== undefined) {
    dockerfileName = `.dockerfile.${randomBytes(10).toString('hex')}`;
  } else if (dockerfile !== undefined && files.has('Dockerfile')) {
    throw new InvalidArgumentError('files["Dockerfile"]', 'absent when `dockerfile` gives the Dockerfile', 'a file');
  }

  const pack = tarPack();
  let failure: Error | undefined;
  const fill = async (): Promise<void> => {
    const extra = new Map(files);
    if (dockerfile !== undefined) extra.set(dockerfileName, Buffer.from(dockerfile));
    if (context !== undefined) {
      const ignoreText = await readFile(join(context, '.dockerignore'), 'utf8').catch(() => undefined);
      if (dockerfile !== undefined && !extra.has('.dockerignore')) {
        extra.set('.dockerignore', Buffer.from(`${ignoreText ?? '.dockerignore'}\n${dockerfileName}\n`));
      }
      const keep = keeper(ignoreText, new Set([dockerfileName, '.dockerignore', ...extra.keys()]));
      await packDirectory(pack, context, '', keep, new Set(extra.keys()));
    }
    for (const [name, content] of [...extra].sort(([a], [b]) => (a < b ? -1 : 1))) {
      await addEntry(pack, { name, type: 'file', size: content.length, mode: 0o644, mtime: new Date(0) }, content);
    }
    pack.finalize();
  };
  fill().catch((error: Error) => {
    failure = error;
    pack.destroy(error);
  });
  return { stream: pack, dockerfile: dockerfileName, failure: () => failure };
}

function normalizeFiles(files: BuildContextSource['files']): Map<string, Buffer> {
  const result = new Map<string, Buffer>();
  if (files === undefined) return result;
  if (typeof files !== 'object' || files === null) throw new InvalidArgumentError('files', 'an object of relative path to content', files);
  for (const [name, content] of Object.entries(files)) {
    const normal = posix.normalize(name.replace(/^\.\//, ''));
    if (name === '' || posix.isAbsolute(name) || normal === '..' || normal.startsWith('../') || normal === '.' || normal.endsWith('/')) {
      throw new InvalidArgumentError(`files[${JSON.stringify(name)}]`, 'a relative file path inside the context', name);
    }
    if (typeof content === 'string') result.set(normal, Buffer.from(content));
    else if (content instanceof Uint8Array) result.set(normal, Buffer.from(content.buffer, content.byteOffset, content.byteLength));
    else throw new InvalidArgumentError(`files[${JSON.stringify(name)}]`, 'a string or bytes', content);
  }
  return result;
}

/** Decides, by relative path, whether a directory entry is sent; `descend` whether an ignored directory may still hold kept paths. */
interface Keeper {
  keeps(path: string): boolean;
  descend: boolean;
}

function keeper(ignoreText: string | undefined, always: Set<string>): Keeper {
  if (ignoreText === undefined) return { keeps: () => true, descend: true };
  const rules = dockerignore.default({ ignorecase: false }).add(ignoreText);
  const hasExceptions = ignoreText.split('\n').some((line) => line.trim().startsWith('!'));
  return { keeps: (path) => always.has(path) || !rules.ignores(path), descend: hasExceptions };
}

async function packDirectory(pack: Pack, root: string, prefix: string, keep: Keeper, overridden: Set<string>): Promise<void> {
  const names = (await readdir(join(root, prefix))).sort();
  for (const name of names) {
    const path = prefix === '' ? name : `${prefix}/${name}`;
    if (overridden.has(path)) continue;
    const absolute = join(root, path);
    const stats = await lstat(absolute);
    const kept = keep.keeps(path);
    if (stats.isDirectory()) {
      if (kept) await addEntry(pack, header(path, stats, 'directory'));
      if (kept || keep.descend) await packDirectory(pack, root, path, keep, overridden);
    } else if (!kept) {
      continue;
    } else if (stats.isFile()) {
      await addFile(pack, header(path, stats, 'file'), absolute);
    } else if (stats.isSymbolicLink()) {
      await addEntry(pack, { ...header(path, stats, 'symlink'), linkname: await readlink(absolute) });
    }
  }
}

function header(name: string, stats: Stats, type: 'file' | 'directory' | 'symlink'): Headers {
  return {
    name,
    type,
    size: type === 'file' ? stats.size : 0,
    mode: stats.mode & 0o7777,
    mtime: stats.mtime,
    uid: 0,
    gid: 0,
  };
}

function addEntry(pack: Pack, entry: Headers, content?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error | null): void => (error ? reject(error) : resolve());
    if (content === undefined) pack.entry(entry, done);
    else pack.entry(entry, content, done);
  });
}

/** Streams a file into the archive with backpressure. */
function addFile(pack: Pack, entry: Headers, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const sink = pack.entry(entry, (error?: Error | null) => (error ? reject(error) : resolve()));
    const source = createReadStream(path);
    source.on('error', (error) => {
      sink.destroy(error);
      reject(error);
    });
    source.pipe(sink);
  });
}
