/**
 * The recycle scan's records (pure): parsing, what a difference from the baseline says, the
 * arguments a recycle scan gets, and the fresh shell's command built from a baseline.
 */
import { describe, expect, it } from 'vitest';
import { freshShellCommand } from '../../../src/docker/recycle/fresh-shell.js';
import { compareScans, parseScan, recycleArguments } from '../../../src/docker/recycle/sandbox-scan.js';

const records = (...lines: string[]): string => `${lines.join('\0')}\0`;

const BASELINE = records(
  'user 65534',
  'proc init docker-init',
  'proc shell bash',
  'exe /usr/bin/bash',
  'cwd /home/sandbox',
  'fd 0 pipe',
  'env PATH=/usr/bin:/bin',
  'env PWD=/home/sandbox',
  'env BASH_ENV=/dev/fd/14',
  'env HOME=/home/sandbox',
  'status Umask: 0022',
  'limit Max open files            1024                 1024                 files     ',
  'limit Max file size             unlimited            unlimited            bytes     ',
  'limit Max stack size            8388608              unlimited            bytes     ',
  'place /tmp',
  'place /home/sandbox',
  'file d 01777 0 0 40 1.5 /tmp',
  'file d 0755 65534 65534 40 1.6 /home/sandbox',
  'file f 0644 65534 65534 3 1.7 /home/sandbox/kept file',
  'end',
);

describe('the recycle scan', () => {
  it('needs its end record: a scan cut short proves nothing', () => {
    expect(parseScan(BASELINE.replace('end\0', ''))).toBeUndefined();
    expect(parseScan(BASELINE)).toBeDefined();
  });

  it('finds nothing when the scan after cleaning is the baseline, a directory whose entries changed included', () => {
    const baseline = parseScan(BASELINE)!;
    const after = parseScan(BASELINE.replace('file d 01777 0 0 40 1.5 /tmp', 'file d 01777 0 0 60 9.9 /tmp'))!;
    expect(compareScans(baseline, after)).toEqual([]);
  });

  it('names each kind of leftover', () => {
    const baseline = parseScan(BASELINE)!;
    const dirty = parseScan(
      BASELINE.replace('end\0', '').replace('status Umask: 0022', 'status Umask: 0077').replace('1024                 1024', '1024                 512') +
        records('proc other sleep (pid 42, state T)', 'ipc shm 0 1 600', 'listen tcp 0100007F:1F90', 'file f 0644 65534 65534 1 2.0 /tmp/x', 'end'),
    )!;
    const differences = compareScans(baseline, dirty).join('\n');
    expect(differences).toContain('a process left: other sleep (pid 42, state T)');
    expect(differences).toContain("the shell's umask");
    expect(differences).toContain("the shell's resource limits");
    expect(differences).toContain('a SysV IPC object left');
    expect(differences).toContain('a listening or bound socket left');
    expect(differences).toContain('a file in a writable place left: f 0644 65534 65534 1 2.0 /tmp/x');
  });

  it('sees a kept file changed in place (its change time)', () => {
    const baseline = parseScan(BASELINE)!;
    const after = parseScan(BASELINE.replace('3 1.7 /home/sandbox/kept file', '3 8.0 /home/sandbox/kept file'))!;
    expect(compareScans(baseline, after).join()).toContain('kept file');
  });

  it('gives a recycle scan the places (the mode only of its own), the shell links, and every kept path with its parents', () => {
    expect(recycleArguments(parseScan(BASELINE)!)).toEqual([
      '2',
      'keep',
      '/tmp',
      '755',
      '/home/sandbox',
      '/usr/bin/bash',
      '/home/sandbox',
      '/tmp',
      '/home/sandbox',
      '/home',
      '/home/sandbox/kept file',
    ]);
  });
});

describe('the fresh shell command', () => {
  const command = freshShellCommand(parseScan(BASELINE)!, '/home/sandbox');

  it('starts the baseline program in the baseline directory, with the baseline umask and soft limits', () => {
    expect(command).toContain("exec -a bash \\$'/usr/bin/bash' --noprofile --norc");
    expect(command).toContain("cd -- $'/home/sandbox'");
    expect(command).toContain('umask 0022');
    expect(command).toContain('ulimit -S -n 1024');
    expect(command).toContain('ulimit -S -s 8192');
    expect(command).toContain('ulimit -S -f unlimited');
  });

  it("exports the image's environment, not what bash and the session's start set themselves", () => {
    expect(command).toContain("export $'HOME=/home/sandbox' $'PATH=/usr/bin:/bin'");
    expect(command).not.toMatch(/BASH_ENV=|PWD=/);
  });

  it('calls only builtins, past any alias or function a job left', () => {
    for (const word of command.match(/\\\\?builtin \w+/g) ?? []) expect(word.startsWith('\\')).toBe(true);
  });
});
