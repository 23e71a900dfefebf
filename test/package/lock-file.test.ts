/**
 * package-lock.json must stay in step with package.json, every platform's optional packages included,
 * or `npm ci` fails on a fresh clone (and `npm install` quietly installs something else). Two checks:
 * npm's own, `npm ci --dry-run` on a copy of the two files (it installs nothing); and that every
 * dependency of every locked package is locked too, which npm 10's `ci` does not check for the
 * optional packages of other platforms (npm 11's does). Locks drifted on purpose prove both can fail.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { QUIET_OFFLINE, ROOT, run, type Ran } from './npm.js';

interface LockedPackage {
  optional?: boolean;
  os?: string[];
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

interface Lock {
  packages: Record<string, LockedPackage>;
}

function readLock(): Lock {
  return JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as Lock;
}

const scratch = mkdtempSync(join(tmpdir(), 'docker-shell-lock-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** `npm ci --dry-run` on a copy of the project's package.json and lock, after `edit` changes the lock. */
async function dryRunCi(name: string, edit: (lock: Lock) => void = () => {}): Promise<Ran> {
  const dir = join(scratch, name);
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  const lock = readLock();
  edit(lock);
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2));
  return run('npm', ['ci', '--dry-run', '--ignore-scripts', ...QUIET_OFFLINE], dir);
}

/** The lock's packages for another operating system than this one (e.g. rollup's darwin build). */
function otherPlatformPackages(lock: Lock): string[] {
  return Object.entries(lock.packages)
    .filter(([, locked]) => locked.optional === true && locked.os?.includes(process.platform) === false)
    .map(([path]) => path);
}

/** Whether Node's lookup from the package at `from` (a lock key, '' for the root) finds `name` in the lock. */
function resolves(lock: Lock, from: string, name: string): boolean {
  for (let base = from; ;) {
    if (`${base === '' ? '' : `${base}/`}node_modules/${name}` in lock.packages) return true;
    if (base === '') return false;
    const parent = base.lastIndexOf('/node_modules/');
    base = parent === -1 ? '' : base.slice(0, parent);
  }
}

/** `package -> dependency` for each dependency (optional ones included; dev ones of the root) the lock lacks. */
function unlocked(lock: Lock): string[] {
  const missing: string[] = [];
  for (const [path, locked] of Object.entries(lock.packages)) {
    const names = Object.keys({ ...locked.dependencies, ...locked.optionalDependencies, ...(path === '' ? locked.devDependencies : {}) });
    for (const name of names) if (!resolves(lock, path, name)) missing.push(`${path === '' ? '(root)' : path} -> ${name}`);
  }
  return missing;
}

describe('package-lock.json', () => {
  it('is in sync with package.json: npm ci accepts it', async () => {
    const result = await dryRunCi('as-committed');
    expect(result.stderr).not.toMatch(/npm error/);
    expect(result.code).toBe(0);
  });

  it("locks every package's dependencies, other platforms' optional packages included", () => {
    const lock = readLock();
    expect(unlocked(lock)).toEqual([]);
    expect(otherPlatformPackages(lock)).toContain('node_modules/@rollup/rollup-darwin-arm64');
  });

  it("finds a lock that lacks another platform's package", () => {
    const lock = readLock();
    delete lock.packages['node_modules/@rollup/rollup-darwin-arm64'];
    expect(unlocked(lock)).toEqual(['node_modules/rollup -> @rollup/rollup-darwin-arm64']);
  });

  it('fails on a lock that lacks a dependency package.json names', async () => {
    const result = await dryRunCi('dependency-missing', (lock) => {
      delete lock.packages['node_modules/uuid'];
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Missing: uuid@');
  });
});
