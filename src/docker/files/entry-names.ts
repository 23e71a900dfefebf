/**
 * Checks of tar entry names and link targets coming out of a hostile container. Pure and lexical:
 * the extractor also never writes through a symlink, so these rules are what keeps links pointing
 * inside the destination for whoever follows them later.
 */

/** Longest entry name or link target accepted, in bytes: Linux's PATH_MAX. */
export const MAX_NAME_BYTES = 4096;

/** An entry name split into safe components, or why it is unsafe. */
export type NameCheck = { parts: string[] } | { unsafe: string };

/**
 * Splits a tar entry name into components, dropping empty and `.` ones. Absolute names and any `..`
 * component are unsafe, even one that would normalize away (`a/../b`): a well-made archive has none.
 * `[]` is the destination itself (`./`).
 */
export function entryParts(name: string): NameCheck {
  // Longer than any path the host could open (PATH_MAX); a pax header can carry megabytes.
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) return { unsafe: `has a name longer than ${MAX_NAME_BYTES} bytes` };
  if (name.includes('\0')) return { unsafe: 'has a NUL byte in its name' };
  if (name.startsWith('/')) return { unsafe: 'has an absolute name' };
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) return { unsafe: 'has a `..` component in its name' };
  return { parts };
}

/**
 * Checks a symlink target for a link at `linkParts` (inside the destination). Safe targets are
 * relative, and made of `..` components first, then names only, climbing no higher than the
 * destination: `../lib/x` is fine, `/etc` and `../../..` are not, and neither is `sub/..`, because
 * `sub` may itself be a symlink (`sub -> ..` then `e -> sub/..` would climb out). Since the link's
 * parents are real directories (the extractor never writes through a symlink) and every link obeys
 * the same rule, following any chain of them never leaves the destination.
 * @returns why the target is unsafe, or undefined when it is safe.
 */
export function unsafeSymlinkTarget(linkParts: string[], target: string): string | undefined {
  if (target === '') return 'is a symlink with an empty target';
  if (Buffer.byteLength(target) > MAX_NAME_BYTES) return `is a symlink whose target is longer than ${MAX_NAME_BYTES} bytes`;
  if (target.includes('\0')) return 'is a symlink whose target has a NUL byte';
  if (target.startsWith('/')) return `is a symlink to an absolute path (${target}), outside the destination`;
  const parts = target.split('/').filter((part) => part !== '' && part !== '.');
  let climb = 0;
  while (parts[climb] === '..') climb += 1;
  if (parts.slice(climb).includes('..'))
    return `is a symlink whose target (${target}) has a \`..\` after a name, which could climb out through another symlink`;
  const depth = linkParts.length - 1;
  if (climb > depth) return `is a symlink to ${target}, which leads outside the destination`;
  return undefined;
}
