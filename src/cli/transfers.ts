/**
 * `--put local:remote` before the steps and `--get remote:local` after them: a file or a whole
 * directory, whichever the path is, with a line saying what travelled.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { DockerRunner } from '../docker/docker-runner.js';
import type { TransferResult } from '../docker/files.js';
import { FileTypeError } from '../errors.js';
import { formatBytes, type TransferSpec } from './parse.js';
import type { Progress } from './progress.js';

/** Puts each local file or directory into the sandbox, in order. */
export async function putAll(runner: DockerRunner, specs: readonly TransferSpec[], progress: Progress): Promise<void> {
  for (const { from, to } of specs) {
    const local = await stat(from).catch(() => undefined);
    const result = local?.isDirectory() ? await runner.putDirectory(from, to) : await runner.putFile(to, from);
    progress.line(`put ${from} -> ${result.path} (${describe(result)})`);
  }
}

/**
 * Gets each sandbox file or directory to the host, in order. A file goes to `to`, or into it when
 * `to` is a directory or ends with `/`; missing parent directories are made. A file is written
 * under a temporary name and renamed, so `to` never holds half a file.
 */
export async function getAll(runner: DockerRunner, specs: readonly TransferSpec[], progress: Progress): Promise<void> {
  for (const { from, to } of specs) {
    const result = await getOne(runner, from, to);
    progress.line(`got ${result.path} -> ${result.local} (${describe(result)})`);
  }
}

/** What a transfer moved, for its line. */
type Moved = Pick<TransferResult, 'path' | 'bytes' | 'files' | 'directories' | 'skipped'>;

async function getOne(runner: DockerRunner, from: string, to: string): Promise<Moved & { local: string }> {
  let content;
  try {
    content = await runner.getFileStream(from);
  } catch (error) {
    if (!(error instanceof FileTypeError) || error.actual !== 'a directory') throw error;
    return { ...(await runner.getDirectory(from, to)), local: to };
  }
  const isDirectory = to.endsWith('/') || (await stat(to).catch(() => undefined))?.isDirectory() === true;
  const local = isDirectory ? join(to, basename(from)) : to;
  await mkdir(dirname(local), { recursive: true });
  const partial = join(dirname(local), `.${basename(local)}.${randomUUID().slice(0, 8)}.part`);
  let bytes = 0;
  content.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  try {
    await pipeline(content, createWriteStream(partial));
    await rename(partial, local);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return { path: from, bytes, files: 1, directories: 0, skipped: [], local };
}

function describe(result: Moved): string {
  const parts = [formatBytes(result.bytes)];
  if (result.directories > 0 || result.files !== 1) parts.unshift(`${result.files} file${result.files === 1 ? '' : 's'}`);
  if (result.skipped.length > 0) parts.push(`${result.skipped.length} skipped`);
  return parts.join(', ');
}
