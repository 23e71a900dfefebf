/**
 * What the recycle scan (sandbox-scan.sh) reports of a sandbox, and how two reports compare. Pure:
 * the scan runs in the sandbox, this reads its records.
 */
import { readFileSync } from 'node:fs';

/** The scan script, read once at import. */
export const SCAN_SCRIPT = readFileSync(new URL('./sandbox-scan.sh', import.meta.url), 'utf8');

/** A scan's findings, each kind a sorted list of normalized records. */
export interface SandboxScan {
  /** Records by kind: proc, exe, cwd, fd, argv, env, status, limit, ipc, listen, file. */
  records: Map<string, string[]>;
  /** The writable places, in the order found. */
  places: string[];
  /** Each writable place's mode (octal, as `chmod` takes it). */
  placeModes: Map<string, string>;
  /** Every path in the writable places (the places included). */
  paths: string[];
  /** The places owned by the scan's user, whose mode a job could change. */
  ownPlaces: Set<string>;
}

/** Parses the scan's NUL-ended records; undefined when the scan did not finish (no `end`). */
export function parseScan(output: string): SandboxScan | undefined {
  const records = new Map<string, string[]>();
  const places: string[] = [];
  const placeModes = new Map<string, string>();
  const paths: string[] = [];
  const ownPlaces = new Set<string>();
  let user = '';
  let ended = false;
  for (const record of output.split('\0')) {
    if (record === '') continue;
    const space = record.indexOf(' ');
    const kind = space === -1 ? record : record.slice(0, space);
    let rest = space === -1 ? '' : record.slice(space + 1);
    if (kind === 'end') {
      ended = true;
      continue;
    }
    if (kind === 'user') {
      user = rest;
      continue;
    }
    if (kind === 'place') {
      places.push(rest);
      continue;
    }
    if (kind === 'file') {
      const [type = '', mode = '', uid = '', gid = '', size = '', ctime = '', ...path] = rest.split(' ');
      const name = path.join(' ');
      paths.push(name);
      if (places.includes(name)) placeModes.set(name, mode.replace(/^0+(?=\d)/, '') || '0');
      if (places.includes(name) && uid === user) ownPlaces.add(name);
      // A directory's size and change time follow its entries, which are compared one by one.
      rest = type === 'd' ? `${type} ${mode} ${uid} ${gid} ${name}` : `${type} ${mode} ${uid} ${gid} ${size} ${ctime} ${name}`;
    } else if (kind === 'env' && rest.startsWith('PWD=')) {
      // Where bash was when it started, under gVisor even after a `cd` before the exec; the
      // directory itself is the `cwd` record.
      continue;
    } else if (kind === 'limit') {
      rest = rest.replace(/\s{2,}/g, ' | ').trim();
    }
    const list = records.get(kind) ?? [];
    list.push(rest);
    records.set(kind, list);
  }
  if (!ended) return undefined;
  for (const list of records.values()) list.sort();
  return { records, places, placeModes, paths, ownPlaces };
}

/** Kinds compared between a baseline and a scan after cleaning, with what a difference means. */
const KINDS: Array<[kind: string, what: string]> = [
  ['proc', 'a process'],
  ['exe', "the shell's program"],
  ['argv', "the shell's arguments"],
  ['cwd', "the shell's directory"],
  ['env', "the shell's environment"],
  ['status', "the shell's umask or signal dispositions"],
  ['limit', "the shell's resource limits"],
  ['fd', "the shell's open files"],
  ['ipc', 'a SysV IPC object'],
  ['listen', 'a listening or bound socket'],
  ['file', 'a file in a writable place'],
];

/** The differences between the baseline and a scan, as sentences (empty when none). */
export function compareScans(baseline: SandboxScan, now: SandboxScan): string[] {
  const differences: string[] = [];
  for (const [kind, what] of KINDS) {
    const before = new Set(baseline.records.get(kind) ?? []);
    const after = new Set(now.records.get(kind) ?? []);
    const extra = [...after].filter((record) => !before.has(record));
    const missing = [...before].filter((record) => !after.has(record));
    if (extra.length > 0) differences.push(`${what} left: ${shorten(extra)}`);
    if (missing.length > 0) differences.push(`${what} no longer as at the start: ${shorten(missing)}`);
  }
  return differences;
}

function shorten(records: string[]): string {
  const shown = records.slice(0, 3).join('; ');
  return records.length > 3 ? `${shown} (and ${records.length - 3} more)` : shown;
}

/** The argv of a recycle scan: the places with their modes, then every path the baseline kept. */
export function recycleArguments(baseline: SandboxScan): string[] {
  const kept = new Set<string>();
  for (const path of baseline.paths) {
    // A kept path keeps its ancestors: their new entries are removed one by one, not with them.
    for (let at = path; at.length > 1; at = at.slice(0, Math.max(1, at.lastIndexOf('/')))) kept.add(at);
  }
  // Only a place of the user's own can have had its mode changed (a chmod costs a program start).
  const places = baseline.places.flatMap((place) => [(baseline.ownPlaces.has(place) && baseline.placeModes.get(place)) || 'keep', place]);
  // The shell's program and directory at the start, which the scan compares with `-ef` (gVisor: empty).
  const links = ['exe', 'cwd'].map((kind) => baseline.records.get(kind)?.[0] ?? '');
  return [String(baseline.places.length), ...places, ...links, ...kept];
}
