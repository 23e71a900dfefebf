/**
 * The process the README's TypeScript snippets run in, one after another (one process: a tsx start
 * costs about half a second). Started by snippets.test.ts with an IPC channel; each message
 * `{ file }` imports that module and answers `{ ok, output, stdout, stated, error }`, with what the
 * snippet printed (`output`: stdout and stderr in the order written) and the README lines of the
 * `//=>` checks it reached. An unhandled rejection while a snippet runs fails that snippet.
 */
import { pathToFileURL } from 'node:url';
import { reached } from './stated.js';

interface Request {
  file: string;
}

let output = '';
let stdout = '';
let failures: unknown[] = [];

for (const [stream, isStdout] of [
  [process.stdout, true],
  [process.stderr, false],
] as const) {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    output += text;
    if (isStdout) stdout += text;
    return write(chunk, ...rest);
  }) as typeof stream.write;
}

process.on('unhandledRejection', (reason) => failures.push(reason));

process.on('message', (message: Request) => {
  output = '';
  stdout = '';
  failures = [];
  reached.length = 0;
  void import(pathToFileURL(message.file).href)
    .then(
      () => failures[0],
      (error: unknown) => error,
    )
    .then((error) => {
      const reply = error === undefined ? { ok: true } : { ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
      process.send?.({ ...reply, output, stdout, stated: [...reached] });
    });
});
