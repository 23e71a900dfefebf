import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import { SENTINEL_PREFIX, SHELL_ARGV, frameCommand, sessionPrelude } from '../../src/protocol/command-framing.js';

const READY = '11111111-2222-4333-8444-555555555555';
const ID = '3f2b8c1e-9a4d-4e7f-b6a1-0c5d2e8f7a93';
const NEXT = 'a0a0a0a0-b1b1-4c2c-9d3d-e4e4e4e4e4e4';
const OTHER = '0b7e5d6c-1f2a-4b3c-8d9e-0a1b2c3d4e5f';
const TIMEOUT = 30_000;

const count = (haystack: string, needle: string): number => haystack.split(needle).length - 1;

/**
 * Starts a real bash with SHELL_ARGV, writes `input` and closes its stdin, and resolves with
 * everything it printed once it exits (end of input ends the session: no sleeps, no polling).
 */
function runBash(input: Buffer | string): Promise<{ stdout: Buffer; stderr: Buffer; pid: number }> {
  const [file, ...args] = SHELL_ARGV;
  const child = spawn(file as string, args, { env: { PATH: process.env.PATH, LC_ALL: 'C' }, stdio: 'pipe' });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => stdout.push(b));
  child.stderr.on('data', (b: Buffer) => stderr.push(b));
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', () => resolve({ stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr), pid: child.pid as number }));
  });
}

type Frame = ReturnType<typeof frameCommand>;

/**
 * A session: the prelude, the framed command as ID (the shell starts at top level), then a plain `:`
 * as NEXT to prove the shell goes on, framed as the loop wants it unless the command ended it.
 */
const session = (frame: Frame, nextAtTop = false): Buffer =>
  Buffer.concat([Buffer.from(sessionPrelude(READY)), frame(ID, 1, true), frameCommand(':')(NEXT, 2, nextAtTop)]);

/** stdout of such a session, around the command's own output; the ready line carries bash's pid. */
const wrapStdout = (output: Buffer | string, code: number, pid: number): Buffer =>
  Buffer.concat([
    Buffer.from(`${SENTINEL_PREFIX}${READY} ${pid} top\n`),
    Buffer.from(output),
    Buffer.from(`${SENTINEL_PREFIX}${ID} ${code}\n${SENTINEL_PREFIX}${NEXT} 0\n`),
  ]);

interface Hostile {
  name: string;
  command: string;
  code: number;
  stdout: string;
  stderr?: RegExp;
}

const HOSTILE: Hostile[] = [
  { name: 'unbalanced single quote', command: "echo 'open", code: 2, stdout: '', stderr: /unexpected EOF/ },
  { name: 'unbalanced double quote', command: 'echo "open', code: 2, stdout: '', stderr: /unexpected EOF/ },
  { name: 'unbalanced backtick', command: 'echo `open', code: 2, stdout: '', stderr: /unexpected EOF/ },
  { name: 'heredoc with no terminator', command: 'cat <<EOF\nbody $((1+1))', code: 2, stdout: '', stderr: /here-document/ },
  { name: 'trailing &', command: 'echo fg; true &', code: 0, stdout: 'fg\n' },
  { name: 'trailing backslash', command: 'echo tail \\', code: 0, stdout: 'tail\n' },
  { name: 'trailing # comment', command: 'echo visible # ; echo hidden', code: 0, stdout: 'visible\n' },
  { name: 'syntax error', command: 'if then fi', code: 2, stdout: '', stderr: /syntax error/ },
  { name: 'multi-line script', command: 'x=1\nfor i in a b; do\n  echo "$i$x"\ndone\n', code: 0, stdout: 'a1\nb1\n' },
  { name: 'no final newline', command: 'printf abc', code: 0, stdout: 'abc' },
  { name: "another uuid's sentinel", command: `echo "exit task ${OTHER} 0"`, code: 0, stdout: `exit task ${OTHER} 0\n` },
  { name: 'its own exit code', command: 'echo x; (exit 7)', code: 7, stdout: 'x\n' },
  { name: 'command not found', command: 'no-such-command-xyz', code: 127, stdout: '', stderr: /not found/ },
  { name: 'closes its stdout and stderr', command: 'exec >/dev/null 2>&-; echo hidden', code: 0, stdout: '' },
  { name: 'redefines the done function', command: '__ds_done() { :; }', code: 1, stdout: '', stderr: /readonly function/ },
  { name: 'aliases eval and the done function', command: "alias eval='echo hijacked' __ds_done='echo hijacked'", code: 0, stdout: '' },
  { name: 'reads stdin: EOF, not the next frame', command: 'cat; read x; echo $?', code: 0, stdout: '1\n' },
];

describe('frameCommand + sessionPrelude in a real bash', () => {
  it.each(HOSTILE)(
    '$name: one sentinel per stream, code $code, next command still runs',
    async ({ command, code, stdout, stderr }) => {
      const got = await runBash(session(frameCommand(command)));
      const out = got.stdout.toString('latin1');
      const err = got.stderr.toString('latin1');
      expect(count(out, `${SENTINEL_PREFIX}${ID}`)).toBe(1);
      expect(count(err, `${SENTINEL_PREFIX}${ID}`)).toBe(1);
      expect(out).toContain(`${SENTINEL_PREFIX}${ID} ${code}\n`);
      expect(out).toBe(wrapStdout(stdout, code, got.pid).toString('latin1'));
      expect(err.startsWith(`${SENTINEL_PREFIX}${READY}\n`)).toBe(true);
      expect(err.endsWith(`${SENTINEL_PREFIX}${ID}\n${SENTINEL_PREFIX}${NEXT}\n`)).toBe(true);
      if (stderr) expect(err).toMatch(stderr);
    },
    TIMEOUT,
  );

  const STDIN = [
    { name: 'NUL, %, quotes, backslashes, 0xff', command: 'cat', stdin: Buffer.from("a\0b%%s%d'\\\\0\\n\n\xff\x00", 'latin1') },
    { name: 'every byte value', command: 'cat', stdin: Buffer.from(Array.from({ length: 256 }, (_, i) => i)) },
    { name: 'nothing', command: 'cat', stdin: Buffer.alloc(0) },
    { name: 'read by two commands', command: 'read -r first; cat; cat', stdin: Buffer.from('line1\nline2\n') },
    { name: 'a lone dash', command: 'cat', stdin: Buffer.from('-') },
  ];

  it.each(STDIN)(
    'feeds exactly the given stdin bytes to the command: $name',
    async ({ command, stdin }) => {
      const got = await runBash(session(frameCommand(command, { stdin })));
      const expected = command === 'cat' ? stdin : stdin.subarray(stdin.indexOf(0x0a) + 1);
      expect(got.stdout).toEqual(wrapStdout(expected, 0, got.pid));
      expect(count(got.stderr.toString('latin1'), `${SENTINEL_PREFIX}${ID}\n`)).toBe(1);
    },
    TIMEOUT,
  );

  it(
    'feeds stdin that starts with "-"',
    async () => {
      const stdin = Buffer.from('-n no newline?');
      const got = await runBash(session(frameCommand('cat', { stdin })));
      expect(got.stdout).toEqual(wrapStdout(stdin, 0, got.pid));
    },
    TIMEOUT,
  );

  it('survives stray bytes in the input before the prelude', async () => {
    const got = await runBash(Buffer.concat([Buffer.from('junk-without-newline'), session(frameCommand('echo ok'))]));
    expect(got.stdout.toString()).toBe(wrapStdout('ok\n', 0, got.pid).toString());
  });
});

describe('frameCommand (pure)', () => {
  it('sends the loop as shell input only at top level, and then only a length line: the command travels as data', () => {
    const command = 'line1\nline2\r\n\techo "$x" \'y\'';
    const frame = frameCommand(command);
    const inLoop = frame(ID, 7, false).toString();
    // Three lines: `__ds_ln` is the command's line count (bash's report of a killed program names it).
    const body = `__ds_id=${ID} __ds_tg=7 __ds_ln=3\n${command}`;
    expect(inLoop).toBe(`${Buffer.byteLength(body)}\n${body}`);
    const atTop = frame(NEXT, 8, true).toString();
    const [head, ...rest] = atTop.split('\n');
    expect(head).toMatch(/^__ds_h=\d+; \[\[ -z \$\{__ds_fdefs\+x\} \]\] .*; while \\__ds_recv; do /);
    expect(rest.join('\n')).toBe(`__ds_id=${NEXT} __ds_tg=8 __ds_ln=3\n${command}`);
  });

  it("counts the command's lines without its trailing newlines", () => {
    expect(frameCommand('true\n\n')(ID, 1, false).toString()).toContain(' __ds_ln=1\n');
    expect(frameCommand('a\nb\n')(ID, 1, false).toString()).toContain(' __ds_ln=2\n');
  });

  it('counts the length in bytes, not characters', () => {
    const frame = frameCommand('echo é€😀')(ID, 1, false).toString();
    const [length, ...body] = frame.split('\n');
    expect(Number(length)).toBe(Buffer.byteLength(body.join('\n')));
  });

  it('carries cwd, env and stdin as quoted assignments on the first line of the body', () => {
    const frame = frameCommand('true', { cwd: "/tmp/a b'c", env: { A: '1\n2', B_2: '' }, stdin: Buffer.from('x') })(ID, 1, false).toString();
    const firstLine = frame.split('\n')[1];
    expect(firstLine).toBe(`__ds_id=${ID} __ds_tg=1 __ds_ln=1 __ds_cwd=$'/tmp/a b\\'c' __ds_sf=$'x' __ds_env=(A $'1\\x0a2' B_2 $'')`);
  });

  it.each([{ command: 'echo \0' }, { command: 'a\nb\0' }])('rejects NUL when framing, before any id', ({ command }) => {
    expect(() => frameCommand(command)).toThrow(InvalidArgumentError);
  });

  it('starts the prelude with a newline and reads the runtime in one go', () => {
    const prelude = sessionPrelude(READY);
    expect(prelude.startsWith('\nLC_ALL=C IFS= builtin read -r -N ')).toBe(true);
    expect(prelude.endsWith(`__ds_ready=${READY}; __ds_restart\n`)).toBe(true);
  });
});
