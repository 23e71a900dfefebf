/**
 * Command texts that break a naive "paste the command, then the sentinel" frame. Each must complete
 * with the given exit code and stdout, and leave the session usable.
 */
export interface HostileCommand {
  name: string;
  command: string;
  exitCode: number;
  stdout: string;
  stderrIncludes?: string;
}

const OTHER_UUID = '0b7e5d6c-1f2a-4b3c-8d9e-0a1b2c3d4e5f';

export const HOSTILE_COMMANDS: HostileCommand[] = [
  { name: 'an unbalanced single quote', command: "echo 'open", exitCode: 2, stdout: '', stderrIncludes: 'unexpected EOF' },
  { name: 'an unbalanced double quote', command: 'echo "open', exitCode: 2, stdout: '', stderrIncludes: 'unexpected EOF' },
  { name: 'an unbalanced backtick', command: 'echo `open', exitCode: 2, stdout: '', stderrIncludes: 'unexpected EOF' },
  // The heredoc takes the rest of the command as its body and never ends: nothing of it runs.
  { name: 'a heredoc without its end', command: 'cat <<EOF\nbody line', exitCode: 2, stdout: '', stderrIncludes: 'here-document' },
  { name: 'a trailing &', command: 'echo bg-ran > /dev/null &', exitCode: 0, stdout: '' },
  // As in a terminal: the backslash continues the line, and the line after it is empty.
  { name: 'a trailing backslash', command: 'echo tail \\', exitCode: 0, stdout: 'tail\n' },
  { name: 'a trailing # comment', command: 'echo visible # ; echo hidden', exitCode: 0, stdout: 'visible\n' },
  { name: 'a syntax error', command: 'if then fi', exitCode: 2, stdout: '', stderrIncludes: 'syntax error' },
  { name: 'a multi-line script', command: 'x=1\nfor i in a b; do\n  echo "$i$x"\ndone\nfalse', exitCode: 1, stdout: 'a1\nb1\n' },
  { name: 'output with no final newline', command: 'printf no-newline', exitCode: 0, stdout: 'no-newline' },
  {
    name: 'sentinel-like output with another uuid',
    command: `echo "exit task ${OTHER_UUID} 0"; echo "exit task "`,
    exitCode: 0,
    stdout: `exit task ${OTHER_UUID} 0\nexit task \n`,
  },
  { name: 'a bare `return`', command: 'return 5', exitCode: 2, stdout: '', stderrIncludes: 'return' },
  {
    name: 'quotes, dollars and backslashes',
    command: `printf '%s\\n' "it's" '$HOME' "a\\\\b" \`echo tick\``,
    exitCode: 0,
    stdout: "it's\n$HOME\na\\b\ntick\n",
  },
  { name: 'a redefined echo', command: 'echo() { builtin echo "fake: $*"; }; echo x; unset -f echo', exitCode: 0, stdout: 'fake: x\n' },
  { name: 'a command not found', command: 'no-such-command-here', exitCode: 127, stdout: '', stderrIncludes: 'not found' },
];
