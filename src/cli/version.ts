/**
 * The package's version, read from its package.json when the CLI starts, so `--version` cannot drift
 * from what was installed. The file sits two levels up from both src/cli/ and dist/cli/.
 */
import { readFileSync } from 'node:fs';

export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  if (typeof manifest.version !== 'string') throw new Error('package.json has no version');
  return manifest.version;
}
