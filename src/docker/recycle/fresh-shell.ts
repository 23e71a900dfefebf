/**
 * The command that turns the session's shell into a fresh bash, as it was when the sandbox started
 * (see recycler.ts). Pure: builds bash text from a baseline scan.
 */
import { ansiCQuote } from '../../protocol/bash-quote.js';
import { SENTINEL_PREFIX } from '../../protocol/command-framing.js';
import type { SandboxScan } from './sandbox-scan.js';

/** /proc/PID/limits names, as bash's `ulimit` flags and the number of /proc's units in one of bash's. */
const LIMIT_FLAGS: Record<string, [flag: string, unit: number]> = {
  'Max cpu time': ['t', 1],
  'Max file size': ['f', 1024],
  'Max data size': ['d', 1024],
  'Max stack size': ['s', 1024],
  'Max core file size': ['c', 1024],
  'Max resident set': ['m', 1024],
  'Max processes': ['u', 1],
  'Max open files': ['n', 1],
  'Max locked memory': ['l', 1024],
  'Max address space': ['v', 1024],
  'Max file locks': ['x', 1],
  'Max pending signals': ['i', 1],
  'Max msgqueue size': ['q', 1],
  'Max nice priority': ['e', 1],
  'Max realtime priority': ['r', 1],
};

/** `ulimit -S` commands that put every soft limit back to the baseline's (hard ones cannot go up). */
function softLimits(scan: SandboxScan): string[] {
  const commands: string[] = [];
  for (const line of scan.records.get('limit') ?? []) {
    const [name = '', soft = ''] = line.split(' | ');
    const flag = LIMIT_FLAGS[name];
    if (!flag) continue;
    const value = soft === 'unlimited' ? soft : String(Math.floor(Number(soft) / flag[1]));
    commands.push(`\\builtin ulimit -S -${flag[0]} ${value} 2>/dev/null`);
  }
  return commands;
}

function single(scan: SandboxScan, kind: string, fallback: string): string {
  return scan.records.get(kind)?.[0] ?? fallback;
}

/**
 * A command for the session's own shell that reports itself as `exit` does (so the session ends as
 * restartable), then replaces the shell with a fresh bash of the baseline's program, environment,
 * directory, umask and soft limits, with only its standard streams open and no signal trapped. It
 * turns off first what a job may have left on in that shell (tracing, `set -e`, DEBUG / ERR / RETURN
 * traps), and calls only builtins, past any alias or function of the job's.
 */
export function freshShellCommand(baseline: SandboxScan, workdir: string, sessionId = '$__ds_id'): string {
  // gVisor's /proc does not say: the baseline PATH's bash then.
  const program = single(baseline, 'exe', '') || 'bash';
  // gVisor's /proc does not say where the shell was: where it starts, then.
  const cwd = single(baseline, 'cwd', '') || workdir;
  const umask = (baseline.records.get('status') ?? []).find((line) => line.startsWith('Umask:'))?.split(' ')[1] ?? '0022';
  // bash sets PWD and SHLVL itself, and the session's start BASH_ENV (see the runtime's __ds_restart).
  const env = (baseline.records.get('env') ?? []).filter((entry) => !/^(BASH_ENV|PWD|SHLVL|OLDPWD|_)=/.test(entry)).map((entry) => ansiCQuote(entry));
  const signals = Array.from({ length: 31 }, (_, i) => i + 1).filter((signal) => signal !== 9 && signal !== 19);
  return [
    '\\builtin trap - DEBUG ERR RETURN 2>/dev/null; \\builtin set +euvxT +o pipefail 2>/dev/null',
    // Every other process of the sandbox's user, at once (no program to start): a fork bomb that
    // filled the pids limit would leave no process for the runtime's restart or the scan.
    '\\builtin kill -9 -1 2>/dev/null',
    `\\builtin echo "${SENTINEL_PREFIX}${sessionId}" >&$__ds_e; \\builtin echo "${SENTINEL_PREFIX}${sessionId} 0 exit" >&$__ds_o`,
    // Redirections of the exec itself: the command runs inside a redirected eval, which would undo
    // those of an `exec` of its own. Every descriptor but the three standard ones is closed.
    '__ds_fds=; for __ds_j in /proc/$$/fd/*; do __ds_j=${__ds_j##*/}; ((__ds_j > 2)) && __ds_fds+=" $__ds_j<&-"; done',
    `\\builtin umask ${umask}`,
    ...softLimits(baseline),
    `\\builtin trap - ${signals.join(' ')} 2>/dev/null`,
    // Every exported variable goes (names by prefix: builtins only, no subshell to fork).
    'for __ds_k in ${!A@} ${!B@} ${!C@} ${!D@} ${!E@} ${!F@} ${!G@} ${!H@} ${!I@} ${!J@} ${!K@} ${!L@} ${!M@} ${!N@} ${!O@} ${!P@} ${!Q@} ${!R@} ${!S@} ${!T@} ${!U@} ${!V@} ${!W@} ${!X@} ${!Y@} ${!Z@} ${!a@} ${!b@} ${!c@} ${!d@} ${!e@} ${!f@} ${!g@} ${!h@} ${!i@} ${!j@} ${!k@} ${!l@} ${!m@} ${!n@} ${!o@} ${!p@} ${!q@} ${!r@} ${!s@} ${!t@} ${!u@} ${!v@} ${!w@} ${!x@} ${!y@} ${!z@} ${!_@}; do [[ ${!__ds_k@a} != *x* ]] || \\builtin unset -v "$__ds_k"; done 2>/dev/null',
    ...(env.length > 0 ? [`\\builtin export ${env.join(' ')} 2>/dev/null`] : []),
    `CDPATH= \\builtin cd -- ${ansiCQuote(cwd)}`,
    `\\builtin eval "\\\\builtin exec -a bash ${ansiCQuote(program).replace(/\$/g, '\\$')} --noprofile --norc <&$__ds_i >&$__ds_o 2>&$__ds_e $__ds_fds"`,
  ].join('\n');
}
