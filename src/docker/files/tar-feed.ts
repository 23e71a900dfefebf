/**
 * Feeding a byte stream into tar-stream's parser (a streamx Writable) with backpressure.
 */
import type { Readable } from 'node:stream';
import type { Extract } from 'tar-stream';

/**
 * Writes `source` into `extract` and ends it. `count` sees each chunk's size first and may throw to
 * stop (a limit). Never rejects: on a failure (the source's, or `count`'s) both streams are
 * destroyed and the error is returned.
 */
export async function feedParser(source: Readable, extract: Extract, count?: (bytes: number) => void): Promise<unknown> {
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      count?.(chunk.length);
      if (!extract.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            extract.off('drain', done);
            extract.off('close', done);
            resolve();
          };
          extract.on('drain', done);
          extract.on('close', done);
        });
      }
      if (extract.destroyed) return undefined;
    }
    extract.end(undefined); // streamx's typings want an argument; undefined writes nothing
    return undefined;
  } catch (error) {
    source.destroy();
    extract.destroy(error as Error);
    return error;
  }
}
