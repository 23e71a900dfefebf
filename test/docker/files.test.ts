/**
 * Files in and out of the sandbox. The extractor is first fed crafted archives directly (no Docker:
 * device nodes, `..` and absolute names, links out, endless streams); then every transfer runs
 * against the real engine, with hostile trees and archives made by commands inside the container.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import tar, { type Header } from 'tar-stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DockerRunner } from '../../src/docker/docker-runner.js';
import { extractArchive, getDirectory, getFile, getFileStream, putDirectory, putFile, type PutOptions } from '../../src/docker/files.js';
import { ArchiveLimitError, FileNotFoundError, FilePermissionError, FileTypeError, InvalidArgumentError, UnsafeArchiveError } from '../../src/errors.js';
import { docker } from '../helpers/docker.js';

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'docker-shell-files-'));
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

let counter = 0;
/** A fresh path under the test's scratch directory (not created). */
function fresh(name = 'dir'): string {
  counter += 1;
  return join(scratch, `${name}-${counter}`);
}

type Item = { header: Header | (Partial<Header> & { name: string }); data?: string | Buffer };

/** A crafted tar stream. */
function tarOf(items: Item[]): Readable {
  const pack = tar.pack();
  for (const { header, data } of items) pack.entry(header, data ?? '');
  pack.finalize();
  return pack as unknown as Readable;
}

/** Every path under `root` (relative), with its kind. */
function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const stats = lstatSync(path);
      const rel = relative(root, path);
      if (stats.isSymbolicLink()) out.push(`${rel} -> ${readlinkSync(path)}`);
      else if (stats.isDirectory()) {
        out.push(`${rel}/ ${(stats.mode & 0o777).toString(8)}`);
        walk(path);
      } else out.push(`${rel} ${(stats.mode & 0o777).toString(8)} ${readFileSync(path, 'utf8').slice(0, 20)}`);
    }
  };
  walk(root);
  return out;
}

describe('extractArchive (crafted archives, no Docker)', () => {
  // Each test extracts into box/dest; nothing may ever land next to it (`victim` is a test's own file).
  let box: string;
  let dest: string;
  beforeEach(() => {
    box = fresh('box');
    mkdirSync(box);
    dest = join(box, 'dest');
  });
  afterEach(() => {
    expect(readdirSync(box).filter((name) => name !== 'dest' && name !== 'victim')).toEqual([]);
  });

  it('extracts directories, files with their modes, inner symlinks and hard links', async () => {
    const result = await extractArchive(
      tarOf([
        { header: { name: './', type: 'directory', mode: 0o700 } },
        { header: { name: 'bin/', type: 'directory', mode: 0o755 } },
        { header: { name: 'bin/run', mode: 0o755 }, data: '#!/bin/sh\n' },
        { header: { name: 'secret', mode: 0o600 }, data: 'pw' },
        { header: { name: 'ro/', type: 'directory', mode: 0o555 } },
        { header: { name: 'ro/file', mode: 0o444 }, data: 'ro' },
        { header: { name: 'lib/x', mode: 0o644 }, data: 'x' },
        { header: { name: 'bin/x', type: 'symlink', linkname: '../lib/x' } },
        { header: { name: 'same', type: 'link', linkname: 'secret' } },
      ]),
      dest,
    );
    expect(result).toEqual({ bytes: 15, files: 4, directories: 2, symlinks: 1, hardlinks: 1, skipped: [] });
    expect(tree(dest)).toEqual([
      'bin/ 755',
      'bin/run 755 #!/bin/sh\n',
      'bin/x -> ../lib/x',
      'lib/ 755',
      'lib/x 644 x',
      'ro/ 555',
      'ro/file 444 ro',
      'same 600 pw',
      'secret 600 pw',
    ]);
    expect(statSync(join(dest, 'same')).ino).toBe(statSync(join(dest, 'secret')).ino);
  });

  it.each([
    ['a ../ name', '../escaped', /`\.\.` component/],
    ['a ../ name deeper', 'a/../../escaped', /`\.\.` component/],
    ['an absolute name', '/tmp/escaped-absolute', /absolute name/],
  ])('refuses %s, writing nothing outside', async (_what, name, why) => {
    const error = await extractArchive(
      tarOf([
        { header: { name: 'ok' }, data: 'fine' },
        { header: { name }, data: 'evil' },
      ]),
      dest,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsafeArchiveError);
    expect(error).toMatchObject({ code: 'ERR_UNSAFE_ARCHIVE', entry: name, path: 'the archive' });
    expect((error as UnsafeArchiveError).why).toMatch(why);
    // The destination this call made is gone again.
    expect(existsSync(dest)).toBe(false);
    expect(existsSync('/tmp/escaped-absolute')).toBe(false);
  });

  it.each([
    ['absolute', 'etc', '/etc'],
    ['climbing out', 'up', '../../..'],
    ['climbing out from deeper', 'a/b/up', '../../../x'],
    ['a chain: `..` after a name that may be a symlink', 'e', 'd/s/..'],
    ['empty', 'empty', ''],
  ])('refuses a symlink %s', async (_what, name, linkname) => {
    const error = await extractArchive(tarOf([{ header: { name, type: 'symlink', linkname } }]), dest).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsafeArchiveError);
    expect(error).toMatchObject({ entry: name });
    expect(existsSync(dest)).toBe(false);
  });

  it('defeats the symlink chain that per-link checks miss: d/s -> .. then e -> d/s/..', async () => {
    // Lexically both stay inside; followed, e would be the parent of the destination.
    const result = await extractArchive(
      tarOf([
        { header: { name: 'd/', type: 'directory' } },
        { header: { name: 'd/s', type: 'symlink', linkname: '..' } },
        { header: { name: 'e', type: 'symlink', linkname: 'd/s/..' } },
      ]),
      dest,
      { onUnsafe: 'skip' },
    );
    expect(result.symlinks).toBe(1);
    expect(result.skipped).toEqual([{ entry: 'e', why: expect.stringMatching(/`\.\.` after a name/) }]);
    expect(realpathSync(join(dest, 'd/s'))).toBe(realpathSync(dest));
  });

  it('never writes through a symlink, its own or one already in the destination', async () => {
    mkdirSync(dest);
    symlinkSync(box, join(dest, 'planted'));
    const viaPlanted = await extractArchive(tarOf([{ header: { name: 'planted/x' }, data: 'evil' }]), dest).catch((e: unknown) => e);
    expect(viaPlanted).toBeInstanceOf(UnsafeArchiveError);
    expect((viaPlanted as UnsafeArchiveError).why).toMatch(/through the symlink planted/);

    // An inner symlink to a directory, then a file "below" it.
    const viaOwn = await extractArchive(
      tarOf([
        { header: { name: 'sub/', type: 'directory' } },
        { header: { name: 'l', type: 'symlink', linkname: 'sub' } },
        { header: { name: 'l/x' }, data: 'through' },
      ]),
      dest,
    ).catch((e: unknown) => e);
    expect(viaOwn).toBeInstanceOf(UnsafeArchiveError);
    expect(existsSync(join(dest, 'sub/x'))).toBe(false);
    // An existing destination keeps what was written before the refusal.
    expect(existsSync(join(dest, 'planted'))).toBe(true);
  });

  it('replaces a symlink that stands where a file goes, without writing to its target', async () => {
    mkdirSync(dest);
    const victim = join(box, 'victim');
    writeFileSync(victim, 'precious');
    symlinkSync(victim, join(dest, 'f'));
    await extractArchive(tarOf([{ header: { name: 'f' }, data: 'new' }]), dest);
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(lstatSync(join(dest, 'f')).isFile()).toBe(true);
    expect(readFileSync(join(dest, 'f'), 'utf8')).toBe('new');
  });

  it.each([
    ['outside by ..', '../outside-file'],
    ['absolute', '/etc/passwd'],
    ['to a file the archive did not write', 'not-in-archive'],
  ])('refuses a hard link %s', async (_what, linkname) => {
    mkdirSync(dest);
    writeFileSync(join(dest, 'not-in-archive'), 'host file');
    const error = await extractArchive(tarOf([{ header: { name: 'h', type: 'link', linkname } }]), dest).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsafeArchiveError);
    expect(error).toMatchObject({ entry: 'h' });
    expect(existsSync(join(dest, 'h'))).toBe(false);
  });

  it('refuses a name of 100 kB (50 000 components, in a pax header) before walking it', async () => {
    const name = 'a/'.repeat(50_000) + 'f';
    const started = performance.now();
    const error = await extractArchive(tarOf([{ header: { name }, data: 'x' }]), dest).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsafeArchiveError);
    expect((error as UnsafeArchiveError).why).toMatch(/longer than 4096 bytes/);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("onUnsafe: 'skip' also covers writing through a symlink; a later symlink does not redirect a directory's chmod", async () => {
    const result = await extractArchive(
      tarOf([
        { header: { name: 'sub/', type: 'directory', mode: 0o700 } },
        { header: { name: 'l', type: 'symlink', linkname: 'sub' } },
        { header: { name: 'l/x' }, data: 'through' },
        { header: { name: 'victim-dir/', type: 'directory', mode: 0o777 } },
        { header: { name: 'victim-dir', type: 'symlink', linkname: 'sub' } },
      ]),
      dest,
      { onUnsafe: 'skip' },
    );
    expect(result.skipped).toEqual([{ entry: 'l/x', why: 'would be written through the symlink l' }]);
    // victim-dir was replaced by a symlink to sub: sub keeps 0700, not victim-dir's 0777.
    expect(tree(dest)).toEqual(['l -> sub', 'sub/ 700', 'victim-dir -> sub']);
  });

  it('skips device nodes and FIFOs, recording why', async () => {
    const result = await extractArchive(
      tarOf([
        { header: { name: 'null', type: 'character-device', devmajor: 1, devminor: 3 } },
        { header: { name: 'sda', type: 'block-device', devmajor: 8, devminor: 0 } },
        { header: { name: 'pipe', type: 'fifo' } },
        { header: { name: 'ok' }, data: 'ok' },
      ]),
      dest,
    );
    expect(result.skipped.map((s) => s.entry)).toEqual(['null', 'sda', 'pipe']);
    expect(result.skipped[0]?.why).toMatch(/character-device, which is never extracted/);
    expect(readdirSync(dest)).toEqual(['ok']);
  });

  it("onUnsafe: 'skip' leaves unsafe entries out and goes on", async () => {
    const result = await extractArchive(
      tarOf([
        { header: { name: '../evil' }, data: 'x' },
        { header: { name: 'etc', type: 'symlink', linkname: '/etc' } },
        { header: { name: 'kept' }, data: 'kept' },
      ]),
      dest,
      { onUnsafe: 'skip' },
    );
    expect(result.skipped.map((s) => s.entry)).toEqual(['../evil', 'etc']);
    expect(readdirSync(dest)).toEqual(['kept']);
  });

  it('stops an endless archive at maxBytes, destroying the stream', async () => {
    let produced = 0;
    // A header for a 1 TiB file, then zeros for ever.
    const endless = new Readable({
      read() {
        const chunk = produced === 0 ? tarHeader('huge', 2 ** 40) : Buffer.alloc(64 * 1024);
        produced += chunk.length;
        this.push(chunk);
      },
    });
    const started = performance.now();
    const error = await extractArchive(endless, dest, { maxBytes: '8m' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArchiveLimitError);
    expect(error).toMatchObject({ code: 'ERR_ARCHIVE_LIMIT', limit: 'bytes', limitBytes: 8 * 1024 ** 2, path: 'the archive' });
    expect(endless.destroyed).toBe(true);
    expect(produced).toBeLessThan(9 * 1024 ** 2);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(existsSync(dest)).toBe(false);
  });

  it('stops at maxEntries', async () => {
    const items = Array.from({ length: 50 }, (_, i) => ({ header: { name: `f${i}` }, data: '' }));
    const error = await extractArchive(tarOf(items), dest, { maxEntries: 10 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArchiveLimitError);
    expect(error).toMatchObject({ limit: 'entries', limitEntries: 10 });
  });

  it('calls a truncated or garbage stream malformed', async () => {
    const garbage = Readable.from([Buffer.alloc(512, 0x41)]);
    await expect(extractArchive(garbage, dest)).rejects.toThrow(/not a well-formed tar archive/);
    const truncated = Readable.from([tarHeader('cut', 10_000), Buffer.alloc(100)]);
    await expect(extractArchive(truncated, dest)).rejects.toBeInstanceOf(UnsafeArchiveError);
  });

  it('checks its options', async () => {
    await expect(extractArchive(tarOf([]), dest, { maxBytes: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(extractArchive(tarOf([]), dest, { onUnsafe: 'ignore' as never })).rejects.toThrow(/`onUnsafe`/);
  });
});

/** A raw ustar header for a regular file of `size` bytes (to announce more than will ever come). */
function tarHeader(name: string, size: number): Buffer {
  const block = Buffer.alloc(512);
  block.write(name, 0);
  block.write('0000644\0', 100);
  block.write('0000000\0', 108);
  block.write('0000000\0', 116);
  // Sizes past 8 GiB use the base-256 form: a high bit, then the number big-endian.
  if (size >= 8 ** 11) {
    block[124] = 0x80;
    block.writeBigUInt64BE(BigInt(size), 124 + 12 - 8);
  } else block.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  block.write('00000000000\0', 136);
  block.write('0', 156);
  block.write('ustar\0' + '00', 257);
  block.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return block;
}

/** The options DockerRunner passes for its default sandbox. */
const SANDBOX: PutOptions = { workdir: '/home/sandbox', user: '65534:65534', owner: { uid: 65534, gid: 65534 } };

describe('against the engine: nobody with a writable root (readOnly: false)', () => {
  let runner: DockerRunner;
  let container: ReturnType<typeof docker.getContainer>;
  const options = SANDBOX;
  beforeAll(async () => {
    // A writable root: the workdir is on the container's layer, where the archive API works too.
    // `disk` above the sparse 10 GiB files below, all of them: ulimit -f bounds each, and the layer's
    // watchdog reads Docker's SizeRw, which counts their apparent size.
    runner = await DockerRunner.start({ readOnly: false, disk: '64g' });
    container = docker.getContainer(runner.id as string);
  });
  afterAll(async () => {
    await runner.stop();
  });
  // In a subshell from the workdir: a `cd` in one test must not move the next.
  const inside = async (command: string): Promise<string> => (await runner.run(`(cd ~ && ${command})`, { check: true })).stdout;
  /** Waits until no cat or tar of a transfer is left in the container (a stopped get must not leak its writer). */
  const expectNoTransferProcesses = async (): Promise<void> => {
    let left = '';
    for (let attempt = 0; attempt < 30; attempt += 1) {
      left = await inside(`for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null; echo; done | grep -E '^(cat|tar) ' || true`);
      if (left === '') return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(left).toBe('');
  };

  describe.each(['exec', 'archive'] as const)('via %s', (via) => {
    const opts = { ...options, via };

    it('round-trips bytes: relative to the workdir, owned by the user, missing parents made', async () => {
      const result = await putFile(container, `${via}/new/parents/hello.txt`, Buffer.from('hello\n'), opts);
      expect(result).toMatchObject({ path: `/home/sandbox/${via}/new/parents/hello.txt`, via, bytes: 6, files: 1 });
      expect(await inside(`cd ${via} && stat -c '%n %u:%g %a' new new/parents new/parents/hello.txt && cat new/parents/hello.txt`)).toBe(
        'new 65534:65534 755\nnew/parents 65534:65534 755\nnew/parents/hello.txt 65534:65534 644\nhello\n',
      );
      expect((await getFile(container, `${via}/new/parents/hello.txt`, opts)).toString()).toBe('hello\n');
    });

    it('round-trips every byte value, replacing the file that was there, with a given mode', async () => {
      const bytes = Buffer.alloc(256 * 1024);
      for (let i = 0; i < bytes.length; i += 1) bytes[i] = (i * 7 + (i >> 8)) & 0xff;
      await putFile(container, `/tmp/${via}-bin`, Buffer.from('old'), opts);
      await putFile(container, `/tmp/${via}-bin`, bytes, { ...opts, mode: 0o600 });
      expect(await inside(`stat -c '%s %a %u' /tmp/${via}-bin; sha256sum < /tmp/${via}-bin | cut -c1-16`)).toBe(
        `262144 600 65534\n${sha(bytes).slice(0, 16)}\n`,
      );
      expect((await getFile(container, `/tmp/${via}-bin`, opts)).equals(bytes)).toBe(true);
      const streamed: Buffer[] = [];
      for await (const chunk of await getFileStream(container, `/tmp/${via}-bin`, opts)) streamed.push(chunk as Buffer);
      expect(Buffer.concat(streamed).equals(bytes)).toBe(true);
    });

    it('puts a local file with its mode', async () => {
      const local = fresh('script');
      writeFileSync(local, '#!/bin/sh\necho ran\n', { mode: 0o750 });
      chmodSync(local, 0o750);
      await putFile(container, `${via}-script.sh`, local, opts);
      expect(await inside(`stat -c '%a %u:%g' ${via}-script.sh; ./${via}-script.sh`)).toBe('750 65534:65534\nran\n');
    });

    it('round-trips a directory tree: nested directories, modes, symlinks, an empty directory', async () => {
      const src = fresh('src');
      mkdirSync(join(src, 'a/b/c'), { recursive: true });
      mkdirSync(join(src, 'empty'));
      mkdirSync(join(src, 'private'), { mode: 0o700 });
      chmodSync(join(src, 'private'), 0o700);
      writeFileSync(join(src, 'a/b/c/deep.txt'), 'deep');
      writeFileSync(join(src, 'run.sh'), 'echo hi', { mode: 0o755 });
      chmodSync(join(src, 'run.sh'), 0o755);
      writeFileSync(join(src, 'private/key'), 'k', { mode: 0o600 });
      chmodSync(join(src, 'private/key'), 0o600);
      symlinkSync('a/b/c/deep.txt', join(src, 'link'));
      const put = await putDirectory(container, src, `${via}-tree`, opts);
      expect(put).toMatchObject({ path: `/home/sandbox/${via}-tree`, files: 3, directories: 5, symlinks: 1, bytes: 12, skipped: [] });
      expect(await inside(`cd ${via}-tree && find . -mindepth 1 | sort | xargs stat -c '%n %a %u:%g %F'`)).toBe(
        [
          './a 755 65534:65534 directory',
          './a/b 755 65534:65534 directory',
          './a/b/c 755 65534:65534 directory',
          './a/b/c/deep.txt 644 65534:65534 regular file',
          './empty 755 65534:65534 directory',
          './link 777 65534:65534 symbolic link',
          './private 700 65534:65534 directory',
          './private/key 600 65534:65534 regular file',
          './run.sh 755 65534:65534 regular file',
          '',
        ].join('\n'),
      );
      const back = fresh('back');
      const got = await getDirectory(container, `${via}-tree`, back, opts);
      expect(got).toMatchObject({ via, files: 3, directories: 5, symlinks: 1, bytes: 12, skipped: [] });
      expect(tree(back)).toEqual(tree(src));
    });

    it('names a missing path in FileNotFoundError', async () => {
      for (const call of [
        () => getFile(container, 'no/such/file', opts),
        () => getFileStream(container, 'no/such/file', opts),
        () => getDirectory(container, 'no/such/file', join(scratch, 'never-made'), opts),
      ]) {
        const error = await call().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(FileNotFoundError);
        expect(error).toMatchObject({ code: 'ERR_FILE_NOT_FOUND', path: '/home/sandbox/no/such/file', side: 'container' });
        expect((error as Error).message).toContain('/home/sandbox/no/such/file');
      }
      expect(existsSync(join(scratch, 'never-made'))).toBe(false);
      const local = fresh('missing');
      await expect(putFile(container, 'x', local, opts)).rejects.toMatchObject({ code: 'ERR_FILE_NOT_FOUND', path: local, side: 'host' });
      await expect(putDirectory(container, local, 'x', opts)).rejects.toMatchObject({ code: 'ERR_FILE_NOT_FOUND', path: local, side: 'host' });
    });

    it('tells a directory from a file (FileTypeError)', async () => {
      await expect(getFile(container, '/etc', opts)).rejects.toMatchObject({ code: 'ERR_FILE_TYPE', path: '/etc', expected: 'file' });
      await expect(getDirectory(container, '/etc/hostname', fresh(), opts)).rejects.toMatchObject({
        code: 'ERR_FILE_TYPE',
        path: '/etc/hostname',
        expected: 'directory',
      });
      await inside(`mkdir -p ${via}-isdir`);
      await expect(putFile(container, `${via}-isdir`, Buffer.from('x'), opts)).rejects.toBeInstanceOf(FileTypeError);
    });

    it('stops at maxBytes early on a sparse 10 GiB file, without reading it', async () => {
      await inside(`truncate -s 10G ${via}-sparse`);
      const started = performance.now();
      const error = await getFile(container, `${via}-sparse`, { ...opts, maxBytes: '1m' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ArchiveLimitError);
      expect(error).toMatchObject({ path: `/home/sandbox/${via}-sparse`, limitBytes: 1024 ** 2, limit: 'bytes' });
      expect(performance.now() - started).toBeLessThan(3000);
      // The default (256 MiB) stops it too.
      await expect(getFileStream(container, `${via}-sparse`, opts)).rejects.toBeInstanceOf(ArchiveLimitError);
      // A growing file passes the size check and is stopped while streaming.
      const stream = await getFileStream(container, '/etc/passwd', { ...opts, maxBytes: 1 << 20 });
      stream.destroy();
      await expectNoTransferProcesses();
    });

    it('stops a directory holding a sparse 10 GiB file at maxBytes, quickly', async () => {
      await inside(`mkdir -p ${via}-bigdir && truncate -s 10G ${via}-bigdir/big && echo small > ${via}-bigdir/a`);
      const dest = fresh();
      const started = performance.now();
      const error = await getDirectory(container, `${via}-bigdir`, dest, { ...opts, maxBytes: '16m' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ArchiveLimitError);
      expect(error).toMatchObject({ path: `/home/sandbox/${via}-bigdir`, limitBytes: 16 * 1024 ** 2 });
      expect(performance.now() - started).toBeLessThan(5000);
      expect(existsSync(dest)).toBe(false);
      await expectNoTransferProcesses();
      await inside(`rm -r ${via}-bigdir ${via}-sparse`);
    });

    it('follows a symlink named as the path (in the container), refuses a FIFO, merges into an existing directory', async () => {
      await inside(
        `ln -sfn /etc/hostname ${via}-hn && mkfifo ${via}-fifo && mkdir -p ${via}-merge && echo old > ${via}-merge/keep && echo old > ${via}-merge/over`,
      );
      expect((await getFile(container, `${via}-hn`, opts)).toString()).toBe(await inside('cat /etc/hostname'));
      await expect(getFile(container, `${via}-fifo`, opts)).rejects.toMatchObject({ code: 'ERR_FILE_TYPE', actual: 'a FIFO, socket or device' });
      const src = fresh('merge');
      mkdirSync(src);
      writeFileSync(join(src, 'over'), 'new');
      writeFileSync(join(src, 'added'), 'added');
      await putDirectory(container, src, `${via}-merge`, opts);
      expect(await inside(`cd ${via}-merge && head keep over added`)).toBe('==> keep <==\nold\n\n==> over <==\nnew\n==> added <==\nadded');
      await inside(`rm ${via}-fifo`);
    });
  });

  it('acts as the sandbox user by default: /etc/shadow and /etc are out of reach (FilePermissionError)', async () => {
    const error = await getFile(container, '/etc/shadow', options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FilePermissionError);
    expect(error).toMatchObject({ code: 'ERR_FILE_PERMISSION', path: '/etc/shadow', side: 'container', readOnly: false });
    expect((error as Error).message).toContain('/etc/shadow');
    await expect(putFile(container, '/etc/evil', Buffer.from('x'), options)).rejects.toMatchObject({ code: 'ERR_FILE_PERMISSION', path: '/etc/evil' });
    await expect(putDirectory(container, scratch, '/usr/evil', options)).rejects.toMatchObject({ code: 'ERR_FILE_PERMISSION', path: '/usr/evil' });
    expect(await inside('ls /etc/evil /usr/evil 2>&1 | wc -l')).toBe('2\n');
  });

  it('a symlink planted by a command does not lend the transfer more rights (the confused deputy)', async () => {
    await inside('ln -sfn /etc ~/etc-link');
    await expect(getFile(container, 'etc-link/shadow', options)).rejects.toBeInstanceOf(FilePermissionError);
    await expect(putFile(container, 'etc-link/cron-evil', Buffer.from('x'), options)).rejects.toBeInstanceOf(FilePermissionError);
    expect(await inside('test -e /etc/cron-evil && echo written || echo refused')).toBe('refused\n');
  });

  it("via: 'archive' is Docker's root view, like docker cp: it reads /etc/shadow and follows the planted link", async () => {
    const shadow = await getFile(container, '/etc/shadow', { ...options, via: 'archive' });
    expect(shadow.toString()).toMatch(/^root:/);
    await putFile(container, 'etc-link/archive-wrote-here', Buffer.from('x'), { ...options, via: 'archive' });
    expect(await inside('stat -c %u /etc/archive-wrote-here')).toBe('65534\n');
  });

  it('refuses hostile trees made inside the container: symlinks to /etc and up, a chain; copies hard links safely', async () => {
    await inside(
      [
        'mkdir -p hostile/d && cd hostile',
        'echo fine > ok && ln ok ok-hardlink',
        'echo outside > ~/outside.txt && ln ~/outside.txt hard-to-outside',
        'ln -s /etc etc && ln -s ../../../../../../etc/passwd up && ln -s .. d/s && ln -s d/s/.. chain',
        'mkfifo fifo',
      ].join(' && '),
    );
    for (const via of ['exec', 'archive'] as const) {
      const dest = fresh('hostile');
      const error = await getDirectory(container, 'hostile', dest, { ...options, via }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnsafeArchiveError);
      expect(error).toMatchObject({ path: '/home/sandbox/hostile' });
      expect(existsSync(dest)).toBe(false);

      const result = await getDirectory(container, 'hostile', dest, { ...options, via, onUnsafe: 'skip' });
      expect(result.skipped.map((s) => s.entry.replace(/^\.\//, '')).sort()).toEqual(['chain', 'etc', 'fifo', 'up']);
      // What is there: the files, the hard link kept as one inside, the outside hard link as a plain copy.
      expect(tree(dest)).toEqual(['d/ 755', 'd/s -> ..', 'hard-to-outside 644 outside\n', 'ok 644 fine\n', 'ok-hardlink 644 fine\n']);
      expect(statSync(join(dest, 'ok')).ino).toBe(statSync(join(dest, 'ok-hardlink')).ino);
      for (const name of readdirSync(dest)) expect(realpathSync(join(dest, name)).startsWith(realpathSync(dest))).toBe(true);
    }
  });

  it('refuses ../ and absolute names in a tar crafted inside the container with GNU tar', async () => {
    await inside(
      [
        'mkdir -p craft && cd craft && echo evil > payload',
        "tar -cPf ../dotdot.tar --transform 's,^,../../,' payload",
        'tar -cPf ../absolute.tar /home/sandbox/craft/payload',
        'tar -tPf ../dotdot.tar; tar -tPf ../absolute.tar',
      ].join(' && '),
    );
    expect(await inside('tar -tPf dotdot.tar; tar -tPf absolute.tar')).toBe('../../payload\n/home/sandbox/craft/payload\n');
    for (const [file, why] of [
      ['dotdot.tar', /`\.\.` component/],
      ['absolute.tar', /absolute name/],
    ] as const) {
      const dest = join(fresh('craft'), 'a', 'b');
      const error = await extractArchive(await getFileStream(container, file, options), dest, { path: file }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnsafeArchiveError);
      expect((error as UnsafeArchiveError).why).toMatch(why);
      expect(existsSync(join(dest, '..', '..', 'payload'))).toBe(false);
    }
  });

  it('checks its arguments', async () => {
    await expect(putFile(container, '', Buffer.from('x'), options)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(putFile(container, 'x', 42 as never, options)).rejects.toThrow(/`source`/);
    await expect(putFile(container, 'x', Buffer.from('x'), { ...options, mode: 0o10000 })).rejects.toThrow(/`mode`/);
    await expect(getFile(container, 'x', { ...options, via: 'scp' as never })).rejects.toThrow(/`via`/);
  });
});

describe('against the engine: read-only root', () => {
  it('as nobody (the default sandbox): the root refuses, the tmpfs workdir and /tmp work both ways', async () => {
    await using runner = await DockerRunner.start();
    const container = docker.getContainer(runner.id as string);
    const options = SANDBOX;
    const error = await putFile(container, '/etc/x', Buffer.from('x'), options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FilePermissionError);
    expect(error).toMatchObject({ path: '/etc/x', readOnly: true });
    expect((error as Error).message).toMatch(/\/etc\/x \(read-only file system\)/);

    await putFile(container, 'in/work.txt', Buffer.from('in the tmpfs workdir'), options);
    await putFile(container, '/tmp/t.txt', Buffer.from('in tmpfs /tmp'), options);
    const src = fresh('ro-src');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'sub/f'), 'f');
    await putDirectory(container, src, 'tree', options);
    expect((await runner.run("stat -c '%U %a' in/work.txt tree/sub/f; cat /tmp/t.txt", { check: true })).stdout).toBe('nobody 644\nnobody 644\nin tmpfs /tmp');
    expect((await getFile(container, 'in/work.txt', options)).toString()).toBe('in the tmpfs workdir');
    const back = fresh('ro-back');
    await getDirectory(container, '.', back, options);
    expect(tree(back)).toEqual(['in/ 755', 'in/work.txt 644 in the tmpfs workdir', 'tree/ 755', 'tree/sub/ 755', 'tree/sub/f 644 f']);
  });

  it('as root: tmpfs paths fall back to exec, the rest goes through the archive API', async () => {
    await using runner = await DockerRunner.start({ readOnly: true, user: 'root', workdir: '/root' });
    const container = docker.getContainer(runner.id as string);
    const options = { workdir: '/root', user: 'root' };
    const put = await putFile(container, 'x.txt', Buffer.from('root tmpfs'), options);
    expect(put.via).toBe('exec');
    expect((await getFile(container, '/root/x.txt', options)).toString()).toBe('root tmpfs');
    const passwd = await getFileStream(container, '/etc/passwd', options);
    expect((await Readable.from(passwd).toArray()).join('')).toMatch(/^root:/);
    await expect(putFile(container, '/etc/x', Buffer.from('x'), options)).rejects.toMatchObject({
      code: 'ERR_FILE_PERMISSION',
      path: '/etc/x',
      readOnly: true,
    });
  });
});

function sha(data: Buffer): string {
  return execFileSync('sha256sum', { input: data }).toString().slice(0, 64);
}
