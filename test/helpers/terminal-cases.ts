/**
 * What a command can do to the session, and what it must get back: the cases of README "What a
 * command can do to the session", shared by the local-bash tests (test/session) and the engine's
 * (test/docker). Each case runs its commands in one fresh session, in order, and checks every
 * result; the session's state (cwd, a variable, a function) is set first and checked last.
 */
import { expect } from 'vitest';
import { InvalidArgumentError, SessionClosedError } from '../../src/errors.js';
import type { CommandResult, RunOptions } from '../../src/session/command-result.js';

/** Whatever runs commands in one session: a Session, a DockerRunner. */
export interface Runs {
  run(command: string, options?: RunOptions): Promise<CommandResult>;
}

export interface TerminalCase {
  name: string;
  /** Commands in order, each with what its result must be. */
  steps: { command: string; options?: RunOptions; expect: Partial<Record<'exitCode' | 'stdout' | 'stderr', unknown>> }[];
  /** The session lives and its state is intact afterwards (the default), or it has ended. */
  ends?: { reason?: 'shell-exited' | 'shell-killed'; exitCode?: number };
}

/** No byte of the frame: its names and a uuid never reach a result. */
const NO_FRAME = expect.not.stringMatching(/__ds|[0-9a-f]{8}-[0-9a-f]{4}-/);

export const TERMINAL_CASES: TerminalCase[] = [
  {
    name: "`set -u` and an unbound variable: that command fails with bash's message; `set -u` stays",
    steps: [
      { command: 'set -u', expect: { exitCode: 0 } },
      { command: 'echo "$UNDEFINED"; echo never', expect: { exitCode: 1, stdout: '', stderr: 'bash: line 1: UNDEFINED: unbound variable\n' } },
      { command: '[[ $- == *u* ]] && echo still-on', expect: { stdout: 'still-on\n' } },
    ],
  },
  {
    name: 'aliases (and alias expansion) survive a command that ended bash with an error',
    steps: [
      { command: "alias hello='echo aliased'", expect: { exitCode: 0 } },
      { command: 'set -u; echo "$UNDEFINED"', expect: { exitCode: 1 } },
      { command: 'hello; hello', expect: { exitCode: 0, stdout: 'aliased\naliased\n' } },
      { command: 'shopt -q expand_aliases && echo on', expect: { stdout: 'on\n' } },
    ],
  },
  {
    name: '`set -e` and a failing command: the rest of it is skipped, the code is its own; errexit stays',
    steps: [
      { command: 'set -e', expect: { exitCode: 0 } },
      { command: 'echo before; (exit 3); echo never', expect: { exitCode: 3, stdout: 'before\n' } },
      { command: 'false || echo handled', expect: { exitCode: 0, stdout: 'handled\n' } },
      { command: '[[ $- == *e* ]] && echo still-on', expect: { stdout: 'still-on\n' } },
    ],
  },
  {
    name: '`set -e`: a failure inside a function, a subshell, a pipeline with pipefail',
    steps: [
      { command: 'set -eo pipefail; f() { echo in-f; false; echo never; }', expect: { exitCode: 0 } },
      { command: 'f; echo never', expect: { exitCode: 1, stdout: 'in-f\n' } },
      { command: '(echo in-sub; exit 4); echo never', expect: { exitCode: 4, stdout: 'in-sub\n' } },
      { command: 'false | true; echo never', expect: { exitCode: 1, stdout: '' } },
    ],
  },
  {
    name: '`${x?}` fails the command; a failed `exec` does not end the shell (as in a terminal)',
    steps: [
      { command: 'echo "${NOT_SET?is required}"; echo never', expect: { exitCode: 1, stderr: 'bash: line 1: NOT_SET: is required\n' } },
      {
        command: 'exec /no/such/program; echo next',
        expect: { exitCode: 0, stdout: 'next\n', stderr: expect.stringContaining('/no/such/program: No such file or directory') },
      },
    ],
  },
  {
    name: '`set -x` (with its own PS4): the trace of the command only',
    steps: [
      { command: "PS4='+trace: '; set -x", expect: { exitCode: 0 } },
      { command: 'echo hi; true', expect: { stdout: 'hi\n', stderr: '++trace: echo hi\n++trace: true\n' } },
      { command: 'set +x', expect: { stderr: '++trace: set +x\n' } },
    ],
  },
  {
    name: '`set -v`: the command echoed as read, and nothing else',
    steps: [
      { command: 'set -v', expect: { stderr: '' } },
      { command: 'echo a\necho b', expect: { stdout: 'a\nb\n', stderr: 'echo a\necho b\n' } },
      { command: 'set +v', expect: { stderr: 'set +v\n' } },
    ],
  },
  {
    name: "a DEBUG trap fires before the command's own commands, none of the frame's",
    steps: [
      { command: 'trap \'echo "D[$BASH_COMMAND]"\' DEBUG', expect: { stdout: '' } },
      { command: 'echo hi; true', expect: { stdout: 'D[echo hi]\nhi\nD[true]\n', stderr: '' } },
      { command: 'trap - DEBUG', expect: { stdout: 'D[trap - DEBUG]\n' } },
      { command: 'echo off', expect: { stdout: 'off\n' } },
    ],
  },
  {
    name: "a RETURN trap (and set -T) fires for the command's functions only; trap -p shows it as given",
    steps: [
      { command: 'set -T; trap \'echo "R[$FUNCNAME]"\' RETURN', expect: { stdout: '', stderr: '' } },
      { command: 'g() { :; }; g; trap -p RETURN', expect: { stdout: 'R[g]\ntrap -- \'echo "R[$FUNCNAME]"\' RETURN\n' } },
      { command: 'trap - RETURN; set +T', expect: { exitCode: 0 } },
    ],
  },
  {
    name: "an ERR trap fires for the command's failures, not for the frame",
    steps: [
      { command: 'trap \'echo "E[$?]"\' ERR', expect: { stdout: '' } },
      { command: 'false; true', expect: { exitCode: 0, stdout: 'E[1]\n' } },
      { command: '(exit 2)', expect: { exitCode: 2, stdout: 'E[2]\n' } },
      { command: 'echo ok', expect: { stdout: 'ok\n' } },
    ],
  },
  {
    name: 'PROMPT_COMMAND and PS1 change nothing (the session is not read from a prompt)',
    steps: [
      { command: "PROMPT_COMMAND='echo PC'; PS1='prompt> '; PS0='ps0'", expect: { stdout: '' } },
      { command: 'echo hi', expect: { stdout: 'hi\n', stderr: '' } },
    ],
  },
  {
    name: 'a function named `builtin` is removed with a message; `trap` and `exit` are refused',
    steps: [
      {
        command: 'builtin() { echo hijacked; }',
        expect: { exitCode: 1, stderr: expect.stringContaining('a function named builtin would take over the session') },
      },
      { command: 'trap() { :; }', expect: { exitCode: 1, stderr: expect.stringContaining('trap: readonly function') } },
      { command: 'exit() { :; }', expect: { exitCode: 1, stderr: expect.stringContaining('exit: readonly function') } },
      { command: 'type -t builtin', expect: { stdout: 'builtin\n' } },
    ],
  },
  {
    name: "functions named like other builtins the frame uses: they are the user's, the frame is immune",
    steps: [
      {
        command: ['eval', 'echo', 'printf', 'read', 'return', 'set', 'unset', 'exec', 'enable', 'declare', 'local', 'command', 'shopt', 'cd', 'export']
          .map((n) => `${n}() { :; }`)
          .join('; '),
        expect: { exitCode: 0 },
      },
      { command: '/bin/echo frame-ok; (exit 5)', expect: { exitCode: 5, stdout: 'frame-ok\n' } },
      { command: 'builtin unset -f eval echo printf read return set unset exec enable declare local command shopt cd export', expect: { exitCode: 0 } },
    ],
  },
  {
    name: "aliases named like builtins, keywords or the frame's functions change nothing of the frame",
    steps: [
      {
        command: "alias eval='echo E' builtin='echo B' while='echo W' do='echo D' done='echo N' if='echo I' __ds_recv='echo R' __ds_done='echo X'",
        expect: { exitCode: 0 },
      },
      { command: '(exit 6)', expect: { exitCode: 6, stdout: '' } },
      { command: 'set -u; echo $UNDEFINED_TOO', expect: { exitCode: 1 } },
      { command: '/bin/echo after-restart', expect: { stdout: 'after-restart\n' } },
      // The aliases are the user's, and still there after the restart: a `builtin` the user's own
      // commands then meet (the state check after this case calls `builtin echo`).
      { command: 'alias builtin eval >/dev/null && unalias -a', expect: { exitCode: 0 } },
    ],
  },
  {
    name: '`enable -n echo` cannot break the frame',
    steps: [
      { command: 'enable -n echo printf', expect: { exitCode: 0 } },
      { command: '/bin/echo ok', expect: { stdout: 'ok\n' } },
    ],
  },
  {
    name: 'a function defined before bash was replaced names its source as before (main), its lines its own',
    steps: [
      { command: 'f() {\n  true\n  no_such_in_f\n}', expect: { exitCode: 0 } },
      { command: 'f', expect: { exitCode: 127, stderr: 'main: line 3: no_such_in_f: command not found\n' } },
      { command: 'set -u; echo "$UNDEFINED_HERE"', expect: { exitCode: 1 } },
      // Defined again from `declare -f f`'s text, which puts `true;` on line 3 and the call on 4.
      { command: 'set +u; f', expect: { exitCode: 127, stderr: 'main: line 4: no_such_in_f: command not found\n' } },
    ],
  },
  {
    name: "bash's messages name the line of the command, not of the session",
    steps: [
      { command: 'true\nno_such_program_xyz', expect: { exitCode: 127, stderr: 'bash: line 2: no_such_program_xyz: command not found\n' } },
      // A program killed by a signal is reported after its command has been read whole: at the
      // command's last line (see README), not past the frame's closing lines.
      { command: "true\nsh -c 'kill -9 $$'", expect: { exitCode: 137, stderr: expect.stringMatching(/^bash: line 2: +\d+ Killed +sh -c 'kill -9 \$\$'\n$/) } },
      // bash also echoes the line it could not parse: the command's own line, nothing of the frame's.
      { command: 'echo )', expect: { exitCode: 2, stderr: "bash: eval: line 1: syntax error near unexpected token `)'\nbash: eval: line 1: `echo )'\n" } },
      {
        command: 'true\nif then',
        expect: { exitCode: 2, stderr: "bash: eval: line 2: syntax error near unexpected token `then'\nbash: eval: line 2: `if then'\n" },
      },
    ],
  },
  { name: '`exit 7` ends the session with status 7', steps: [{ command: 'exit 7', expect: {} }], ends: { exitCode: 7 } },
  {
    name: 'a signal that ends a script (`kill $$`, SIGTERM as `docker stop` sends it) ends the session',
    steps: [{ command: 'kill $$; echo never', expect: {} }],
    ends: { reason: 'shell-killed' },
  },
  { name: '`exec` of another program ends the session with its status', steps: [{ command: 'exec /bin/sh -c "exit 9"', expect: {} }], ends: { exitCode: 9 } },
];

/** Runs one case against a fresh session: its steps, then either the state check or the ending. */
export async function runTerminalCase(shell: Runs, testCase: TerminalCase): Promise<void> {
  await shell.run('cd /tmp && STATE_VAR=kept && state_fn() { echo fn-kept; }');
  for (const [index, step] of testCase.steps.entries()) {
    const last = index === testCase.steps.length - 1;
    if (last && testCase.ends) {
      const error = await shell.run(step.command, step.options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SessionClosedError);
      expect(error).toMatchObject({ reason: 'shell-exited', ...testCase.ends });
      return;
    }
    const result = await shell.run(step.command, { timeoutMs: 10_000, ...step.options });
    expect(result, `step ${index + 1}: ${step.command}`).toMatchObject(step.expect);
    expect(result.stdout + result.stderr, `step ${index + 1}: no frame bytes`).toEqual(NO_FRAME);
  }
  const state = await shell.run('builtin echo "$PWD $STATE_VAR"; state_fn');
  expect(state).toMatchObject({ exitCode: 0, stdout: '/tmp kept\nfn-kept\n' });
}

/** run(command, { cwd, env }): that command only; the session's own cwd and variables stay. */
export async function checkPerCommandCwdAndEnv(shell: Runs): Promise<void> {
  await shell.run('cd /tmp; export SHARED=session; LOCAL_ONLY=1');
  const inOther = await shell.run('echo "$PWD $SHARED $EXTRA $LOCAL_ONLY"; bash -c \'echo "child: $SHARED $EXTRA"\'; cd /', {
    cwd: '/usr',
    env: { SHARED: 'command', EXTRA: 'x y' },
  });
  expect(inOther).toMatchObject({ exitCode: 0, stdout: '/usr command x y 1\nchild: command x y\n' });
  expect((await shell.run('echo "$PWD $SHARED ${EXTRA-unset}"; declare -p SHARED')).stdout).toBe('/tmp session unset\ndeclare -x SHARED="session"\n');
  const relative = await shell.run('pwd', { cwd: '..' });
  expect(relative.stdout).toBe('/\n');
  const missing = await shell.run('echo never', { cwd: '/no/such/dir' });
  expect(missing).toMatchObject({ exitCode: 1, stdout: '' });
  expect(missing.stderr).toContain('/no/such/dir: No such file or directory');
  expect((await shell.run('pwd')).stdout).toBe('/tmp\n');
  await expect(shell.run('true', { env: { 'BAD NAME': '1' } })).rejects.toBeInstanceOf(InvalidArgumentError);
  await expect(shell.run('true', { env: { __ds_id: '1' } })).rejects.toBeInstanceOf(InvalidArgumentError);
  await expect(shell.run('true', { cwd: '' })).rejects.toBeInstanceOf(InvalidArgumentError);
}
