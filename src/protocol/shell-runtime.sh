# docker-shell's runtime inside the session's bash, sent once as the session starts (see
# command-framing.ts, which documents the message format). Everything here is named __ds_*; the
# functions are read-only, so a command cannot redefine them.
#
# How a command runs, and why:
# - Commands arrive as data, not as shell input: a loop (LOOP in command-framing.ts) reads a length line and then that
#   many bytes in one read, so an unbalanced quote or a heredoc without its end cannot swallow the
#   frame, and bash does not read the command one byte per syscall (slow under gVisor).
# - The command is eval'd at the top level (not in a function: `declare` stays global) inside a
#   group: `__ds_enter || { COMMAND }; { __ds_done; }`, parsed as one unit, so `set -v` turned on by
#   a command echoes none of the frame. __ds_enter puts back the user's tracing (set -x, -v, -T,
#   -E, -e, -u, -a, DEBUG and ERR traps) that __ds_done set aside after the previous command, and
#   returns the previous exit status (so `$?` is what it would be): || or && is chosen by it.
# - A command that makes bash exit on an error (set -e, set -u, ${x?}, a failed exec) triggers the
#   EXIT trap, which reports the command as failed and re-executes bash with this shell's state
#   (variables, functions, aliases, options, traps, cwd, umask): the session goes on.
# - `exit` is a function that marks the exit as wanted, and `trap` one that keeps docker-shell's
#   EXIT trap in place (running the user's at a real exit) and knows the user's DEBUG and ERR traps.

__ds_setup() {
  builtin exec {__ds_i}<&0 {__ds_o}>&1 {__ds_e}>&2 {__ds_z}>/dev/null
  [[ -n ${__ds_bt+x} ]] || __ds_bt=${__ds_t-}
  # The environment bash started with, for the fresh bash after `exit` (builtins only: no fork).
  [[ -n ${__ds_env0+x} ]] || { builtin mapfile -d '' -t __ds_env0 </proc/$$/environ; __ds_cwd00=$PWD; }
  builtin trap '\__ds_onexit' EXIT
  # Interrupting a command sends bash SIGUSR2: break out of every loop up to the frame's own, so
  # the rest of the command is skipped; between commands (no __ds_id) it does nothing.
  builtin trap '[[ -z $__ds_id ]] || break 100000 2>/dev/null' USR2
  builtin readonly -f __ds_setup __ds_recv __ds_enter __ds_done __ds_fin __ds_cd __ds_env_set __ds_env_back \
    __ds_onexit __ds_restart __ds_state __ds_ready __ds_oom __ds_setret __ds_expire exit trap
  builtin readonly __ds_i __ds_o __ds_e __ds_z
  # Where the group after a command sends its stdout (see __ds_post), by __ds_w: 0, untraced:
  # nowhere new (`1>&1` costs no syscall; __ds_done writes the sentinel through the private copy
  # only if fd 1 is no longer the session's stdout); 1, traced (set -x): the session's stdout; 2,
  # a DEBUG trap set or being cleared: nowhere. __ds_xm tells x in $- apart inside an expansion.
  __ds_fo=(1 "$__ds_o" "$__ds_z")
  builtin declare -gA __ds_xm; __ds_xm[_]=0 __ds_xm[_x]=1
  # Like an interactive shell: aliases expand, and a failed `exec` does not end the shell.
  [[ -n ${__ds_bo1+x} ]] || builtin shopt -s expand_aliases
  builtin shopt -s execfail
  # The command loop is parsed next, from bash's input: with the user's aliases off (an alias
  # named `do` or `done` would rewrite it); __ds_recv turns them back on.
  if [[ :$BASHOPTS: == *:expand_aliases:* ]]; then __ds_al=1; builtin shopt -u expand_aliases; fi
}

# Reads one command: "<length>\n" then <length> bytes, "<assignments>\n<command>". The first
# command after a (re)start comes as shell input that sets __ds_h to its length instead. While the
# sandbox is detached, __ds_to (seconds, set by a message's assignments) bounds the wait for the
# next command: past it, the sandbox ends itself (see __ds_expire).
__ds_recv() {
  [[ -z $__ds_al ]] || { builtin shopt -s expand_aliases; __ds_al=; }
  if [[ -n $__ds_h ]]; then
    __ds_n=$__ds_h __ds_h=
  else
    IFS= TMOUT=$__ds_to builtin read -r -u "$__ds_i" __ds_n || { (($? <= 128)) || [[ -z $__ds_to ]] || __ds_expire; builtin return 1; }
  fi
  # Not a length (a new session's first newline, bytes leaked into the input): leave the loop quietly.
  [[ -n $__ds_n && $__ds_n != *[!0-9]* ]] || builtin return 1
  LC_ALL=C IFS= TMOUT= builtin read -r -u "$__ds_i" -N "$__ds_n" __ds_b || builtin return 1
  builtin unset -v __ds_cwd __ds_sf __ds_env __ds_skip
  builtin eval "${__ds_b%%$'\n'*}"
  __ds_c=${__ds_b#*$'\n'}
}

# No command came within __ds_to seconds while detached: bash exits, and the container with it.
__ds_expire() {
  builtin printf 'docker-shell: no command for %s s: the sandbox ends\n' "$__ds_to" >&$__ds_e
  builtin exit 0
}

# The command's opening, by whether the previous command failed (so `$?` is its status).
__ds_pres=($'\\__ds_enter && {\n' $'\\__ds_enter || {\n')
__ds_pre=${__ds_pres[0]}
# After the command, still inside its group: capture its status without running a command (in the
# redirection of a group, before anything in it runs: no DEBUG trap, no trace), then report it.
# The group's stdout is the session's own (the exit code's line goes there), or nowhere while a
# DEBUG trap is set (it fires on the report's call), chosen by an index in the redirection itself;
# its stderr goes nowhere (a trace of the call with `set -x`, the runtime's own probes). The group
# starts with a function definition so that a command of comments only still makes a group. A
# function cannot remove a DEBUG or ERR trap (bash puts back on return what it found on entry):
# __ds_done names them in __ds_clr, and they are removed here, at the top level. The whole unit's
# own redirection (a no-op, `>&1`) sets bash's line number to the command's last line (__ds_ln)
# before the command runs: bash reports a program killed by a signal at the line number of the
# unit it runs, which would otherwise be the frame's closing line.
__ds_post=$'\n\n{ __ds_nop() { :; }; \\__ds_done post; [[ -z $__ds_clr ]] || builtin trap - $__ds_clr; } >&${__ds_fo[__ds_s=$?, __ds_w=(${__ds_tdbg+1}${__ds_tclr:+1}0 > 0) ? 2 : ${__ds_xm[_${-//[!x]/}]}]} 2>&$__ds_z\n} >&${__ds_fo[LINENO = __ds_ln, 0]}'

__ds_enter() {
  __ds_in=1
  # A plain command (no options set aside, no per-command env, no trap): one test.
  [[ -n $__ds_fl${__ds_env+x}${__ds_tdbg+x}${__ds_terr+x} ]] || builtin return "$__ds_s"
  # set -v: the command as it was read (the unit being run was parsed before this).
  [[ $__ds_fl != *v* ]] || builtin printf '%s\n' "$__ds_c" >&2
  [[ -z ${__ds_env+x} ]] || __ds_env_set
  if [[ -z ${__ds_tdbg+x}${__ds_terr+x} && $__ds_fl != *x* ]]; then
    [[ -z $__ds_fl ]] || builtin set -"$__ds_fl"
    builtin return "$__ds_s"
  fi
  # Traced or trapped from here on: what runs here goes nowhere.
  {
    [[ -z $__ds_fl ]] || builtin set -"$__ds_fl"
    [[ -z ${__ds_terr+x} ]] || builtin trap -- "$__ds_terr" ERR
    if [[ -z ${__ds_tdbg+x} ]]; then builtin return "$__ds_s"; fi
    builtin trap -- "$__ds_tdbg" DEBUG
    # A DEBUG trap now fires on any command here, but not on a subshell, which gives the status.
    ((__ds_s == 0)) || (builtin exit "$__ds_s")
  } >&$__ds_z 2>&$__ds_z
}

__ds_done() {
  __ds_f=$- __ds_px= __ds_bo=$BASHOPTS __ds_t=$__ds_bt __ds_bad= __ds_clr=$__ds_tclr __ds_tclr=
  # In POSIX mode special builtins (export, unset, set) are found before functions: refuse a
  # function named `builtin`, through which the runtime calls every other builtin.
  if [[ -o posix ]]; then __ds_px=1; else POSIXLY_CORRECT=y; fi
  [[ $__ds_f != *a* ]] || { set +a; export -n __ds_f __ds_px __ds_bo __ds_t __ds_bad __ds_clr __ds_tclr; }
  export -f builtin && { unset -f builtin; __ds_bad+=' builtin'; }
  if [[ -z $__ds_px ]]; then
    unset -v POSIXLY_CORRECT
    # Leaving POSIX mode resets some shopt options (alias expansion among them): put them back
    # (the two lists are worked out again only when the options have changed).
    if [[ $__ds_bo != "${__ds_bo1-}" ]]; then
      __ds_bo1=$__ds_bo __ds_on= __ds_off=
      for __ds_k in expand_aliases inherit_errexit interactive_comments sourcepath shift_verbose; do
        if [[ :$__ds_bo: == *:$__ds_k:* ]]; then __ds_on+=" $__ds_k"; else __ds_off+=" $__ds_k"; fi
      done
    fi
    [[ -z $__ds_on ]] || builtin shopt -s $__ds_on
    [[ -z $__ds_off ]] || builtin shopt -u $__ds_off
  fi
  # Sets the user's tracing aside until the next command (__ds_enter puts it back).
  if [[ -n $__ds_in ]]; then
    __ds_in=
    [[ $__ds_f != *[xvTEeun]* ]] || builtin set +xvTEeun
    __ds_fl=${__ds_f//[^xTEeuav]/}
    if [[ -n ${__ds_tdbg+x}${__ds_terr+x}${__ds_env+x} ]]; then
      [[ -z ${__ds_tdbg+x} ]] || __ds_clr+=' DEBUG'
      [[ -z ${__ds_terr+x} ]] || __ds_clr+=' ERR'
      [[ -z ${__ds_env+x} ]] || __ds_env_back
    fi
  fi
  if [[ -n ${__ds_cwd0+x}$__ds_bad ]]; then
    if [[ -n ${__ds_cwd0+x} ]]; then
      CDPATH= builtin cd -- "$__ds_cwd0"
      OLDPWD=$__ds_old0
      builtin unset -v __ds_cwd0 __ds_old0
    fi
    if [[ -n $__ds_bad ]]; then
      builtin printf 'docker-shell: a function named%s would take over the session, so it was removed; give it another name\n' "$__ds_bad" >&$__ds_e
      ((__ds_s)) || __ds_s=1
    fi
  fi
  # Held when bash is to be replaced: the new one must be ready first (see __ds_restart).
  if [[ -n $__ds_hold ]]; then
    __ds_held="$__ds_id $__ds_s top" __ds_hold=
  else
    # A command may have disabled a builtin the runtime calls (`enable -n echo`).
    if ! builtin echo "exit task $__ds_id" >&$__ds_e; then
      builtin enable echo printf read eval set trap shopt cd unset export declare local return exec
      builtin echo "exit task $__ds_id" >&$__ds_e
    fi
    # stdout is the session's own here unless a DEBUG trap was set (see __ds_post), or an
    # untraced command left fd 1 elsewhere (`exec >file`), or on the loop's fallback (fin): then
    # through the private copy. A redirection costs 9 syscalls, the check 2 (each a trap in gVisor).
    if [[ ${1-} == post && -z ${__ds_tdbg+x}$__ds_clr ]] && { ((__ds_w)) || [[ /proc/self/fd/1 -ef /proc/self/fd/$__ds_o ]]; }; then
      builtin echo "exit task $__ds_id $__ds_s${__ds_top:+ top}"
    else
      builtin echo "exit task $__ds_id $__ds_s${__ds_top:+ top}" >&$__ds_o
    fi
  fi
  __ds_pre=${__ds_pres[__ds_s != 0]} __ds_id= __ds_top=
}

# The loop's fallback: reports a command that did not reach __ds_done (a syntax error, an
# interrupt, a loop left by `break`), whose status the loop left in __ds_q; "top" when the loop
# itself has ended, and then restarts.
__ds_fin() {
  [[ -z $__ds_id ]] && builtin return
  [[ -n ${__ds_skip+x} ]] || __ds_s=$__ds_q
  __ds_top=${1-}
  __ds_done
  [[ -z ${1-} ]] || { builtin exec 0<&$__ds_i; __ds_restart; }
}

# run(command, { cwd }): a missing directory is the command's failure, not the session's.
# Messages from here are written as bash's own would be (bash would name this function's source,
# which after a restart is a /dev/fd path, where a user expects `bash`).
__ds_cd() {
  __ds_cwd0=$PWD __ds_old0=${OLDPWD-}
  CDPATH= builtin cd -- "$__ds_cwd" 2>/dev/null && builtin return
  if [[ ! -e $__ds_cwd ]]; then __ds_k='No such file or directory'; elif [[ ! -d $__ds_cwd ]]; then __ds_k='Not a directory'; else __ds_k='Permission denied'; fi
  builtin printf 'bash: cd: %s: %s\n' "$__ds_cwd" "$__ds_k" >&2
  builtin unset -v __ds_cwd0 __ds_old0
  __ds_s=1 __ds_skip=1
  builtin return 1
}

# run(command, { env }): exported for the command, then put back as they were.
__ds_env_set() {
  __ds_eo=()
  for ((__ds_k = 0; __ds_k < ${#__ds_env[@]}; __ds_k += 2)); do
    __ds_n=${__ds_env[__ds_k]}
    if [[ -v $__ds_n ]]; then __ds_eo+=("$__ds_n" 1 "${!__ds_n}" "${!__ds_n@a}"); else __ds_eo+=("$__ds_n" 0 '' ''); fi
    builtin export -- "$__ds_n=${__ds_env[__ds_k + 1]}"
  done
}
__ds_env_back() {
  for ((__ds_k = 0; __ds_k < ${#__ds_eo[@]}; __ds_k += 4)); do
    __ds_n=${__ds_eo[__ds_k]}
    if [[ ${__ds_eo[__ds_k + 1]} == 1 ]]; then
      builtin declare -g -- "$__ds_n=${__ds_eo[__ds_k + 2]}"
      [[ ${__ds_eo[__ds_k + 3]} == *x* ]] || builtin export -n -- "$__ds_n"
    else
      builtin unset -v -- "$__ds_n"
    fi
  done
  builtin unset -v __ds_env __ds_eo
}

# `exit` in the session's own shell ends the session, but not the process: after the user's EXIT
# trap it reports the command with ` exit`, and becomes a fresh bash (the environment it started
# with, nothing else) that waits for a new session: `runner.restart()` goes on in the same sandbox.
# Elsewhere (a subshell, outside a command) it is bash's own.
exit() {
  { __ds_xs=$? __ds_ex=1; builtin set +x; } 2>/dev/null
  if [[ ! ${1-0} =~ ^-?[0-9]+$ ]]; then builtin printf 'bash: exit: %s: numeric argument required\n' "$1" >&2; builtin set -- 2; fi
  [[ $BASHPID == "$$" && -n $__ds_in && -n $__ds_id && $# -le 1 ]] || builtin exit "${@:-$__ds_xs}"
  __ds_xs=$((${1-$__ds_xs} & 255))
  [[ -z ${__ds_uexit+x} ]] || builtin eval "$__ds_uexit"
  builtin echo "exit task $__ds_id" >&$__ds_e
  builtin echo "exit task $__ds_id $__ds_xs exit" >&$__ds_o
  builtin trap - EXIT
  for __ds_k in $(\builtin compgen -e); do builtin unset -v "$__ds_k" 2>/dev/null; done
  for __ds_k in "${__ds_env0[@]}"; do builtin export "$__ds_k" 2>/dev/null; done
  CDPATH= builtin cd -- "$__ds_cwd00" 2>/dev/null
  builtin exec -a bash "$BASH" --noprofile --norc <&$__ds_i >&$__ds_o 2>&$__ds_e {__ds_i}<&- {__ds_o}>&- {__ds_e}>&- {__ds_z}>&-
}

# `trap` as bash's, except that docker-shell's EXIT trap stays (the user's runs at a real exit,
# and listings show it), SIGUSR2 is reserved, and the DEBUG and ERR traps are noted.
trap() {
  { __ds_tx=$-; builtin set +x; } 2>/dev/null
  builtin local __ds_p= __ds_r=0 __ds_a __ds_op=set __ds_g __ds_u __ds_dbg= __ds_ret= __ds_pass
  __ds_pass=()
  while [[ $# -gt 0 && $1 == -?* && -z $__ds_p ]]; do
    case $1 in
      --) shift; break ;;
      -p) __ds_p=list; shift ;;
      *) __ds_p=other ;;
    esac
  done
  if [[ $__ds_p == other ]]; then
    builtin trap "$@" || __ds_r=$?
  elif [[ -n $__ds_p || $# -eq 0 ]]; then
    if [[ -n ${__ds_uexit+x} ]]; then builtin trap -- "$__ds_uexit" EXIT; else builtin trap - EXIT; fi
    [[ -z ${__ds_tret+x} ]] || __ds_setret "$__ds_tret" >/dev/null 2>&1
    builtin trap -p "$@" || __ds_r=$?
    builtin trap '\__ds_onexit' EXIT
    [[ -z ${__ds_tret+x} ]] || __ds_setret >/dev/null 2>&1
  else
    __ds_a=$1
    if [[ $1 =~ ^[0-9]+$ || $# -eq 1 ]]; then __ds_op=revert; else shift; [[ $__ds_a != - ]] || __ds_op=revert; fi
    for __ds_g in "$@"; do
      __ds_u=${__ds_g^^}
      case ${__ds_u#SIG} in
        EXIT | 0) if [[ $__ds_op == revert ]]; then builtin unset -v __ds_uexit; else __ds_uexit=$__ds_a; fi ;;
        USR2 | 12)
          builtin printf 'docker-shell: trap: SIGUSR2 is reserved (docker-shell stops timed-out commands with it)\n' >&2
          __ds_r=1
          ;;
        DEBUG) __ds_dbg=$__ds_op ;;
        RETURN) if [[ $__ds_op == revert ]]; then builtin unset -v __ds_tret; __ds_tclr+=' RETURN'; __ds_pass+=("$__ds_g"); else __ds_tret=$__ds_a __ds_ret=1; fi ;;
        ERR) if [[ $__ds_op == revert ]]; then builtin unset -v __ds_terr; __ds_tclr+=' ERR'; else __ds_terr=$__ds_a; fi; __ds_pass+=("$__ds_g") ;;
        *) __ds_pass+=("$__ds_g") ;;
      esac
    done
    for __ds_g in "${__ds_pass[@]}"; do
      builtin trap -p -- "$__ds_g" >/dev/null 2>&1 || { builtin printf 'bash: trap: %s: invalid signal specification\n' "$__ds_g" >&2; __ds_r=1; }
    done
    if ((${#__ds_pass[@]})); then
      if [[ $__ds_op == revert ]]; then builtin trap - "${__ds_pass[@]}" 2>/dev/null; else builtin trap -- "$__ds_a" "${__ds_pass[@]}" 2>/dev/null; fi
    fi
    # Removed for good when the command ends (see __ds_post): a function cannot remove them.
    [[ -z $__ds_ret ]] || __ds_setret >/dev/null 2>&1
    if [[ $__ds_dbg == revert ]]; then builtin unset -v __ds_tdbg; __ds_tclr+=' DEBUG'; elif [[ -n $__ds_dbg ]]; then __ds_tdbg=$__ds_a; fi
  fi
  # A DEBUG trap set in this function would fire on every command after it here: it is set last,
  # in a group whose output is discarded, and that group gives the status.
  {
    [[ $__ds_tx != *x* ]] || builtin set -x
    [[ $__ds_dbg != set ]] || builtin trap -- "$__ds_tdbg" DEBUG
    ((__ds_r == 0))
  } >/dev/null 2>&1
}

# The user's RETURN trap. It fires when the function that set it returns, so it is set in this
# one (called with its output discarded), and guarded so that docker-shell's own functions, the
# `trap` wrapper among them, never run it; `trap -p` shows the user's text ($1 here).
__ds_rguard='case ${FUNCNAME-} in trap | __ds_*) ;; *) builtin eval "$__ds_tret" ;; esac'
__ds_setret() { builtin trap -- "${1-$__ds_rguard}" RETURN; }

__ds_onexit() {
  __ds_xs=$?
  # A real end: outside a command, `exit`, or a signal (SIGTERM from `docker stop` or `kill $$`,
  # SIGHUP), which ends the session as it ends a script. bash runs this trap for a signal with `$?`
  # as it was, normally 0, and an error that ends bash never leaves 0: that tells the two apart.
  if [[ -z $__ds_in || -n $__ds_ex || $__ds_xs == 0 ]]; then
    [[ -z ${__ds_uexit+x} ]] || builtin eval "$__ds_uexit"
    builtin return
  fi
  # An error ended bash in the middle of a command (set -e, set -u, ${x?}, a failed exec): report
  # the command as failed, then go on in a new bash (same process) that is given this state.
  __ds_s=$__ds_xs __ds_top=top __ds_hold=1
  { __ds_done; } >&$__ds_z 2>&$__ds_z
  __ds_restart
}

# Replaces this bash with a new one (same process) that is given this shell's state. Its input
# line count starts again at 1, where the command loop is then read: that keeps bash's messages
# free of internal line numbers (a command's own lines count from 1, as in `bash -c`).
__ds_restart() {
  __ds_hk=$__ds_held __ds_held= __ds_h=
  # The new bash keeps the session's own process tag (see kill-script.ts), not a command's. Unsetting
  # POSIXLY_CORRECT, even when it is not set, resets shopt options (alias expansion among them),
  # which the state below would then carry: only a set one goes. (So the user's aliases are on from
  # here: the command substitutions below start with a backslash, which no alias can take over.)
  builtin unset -v __ds_t 2>/dev/null
  [[ -z ${POSIXLY_CORRECT+x} ]] || builtin unset -v POSIXLY_CORRECT 2>/dev/null
  [[ -z $__ds_bt ]] || builtin export __ds_t=$__ds_bt
  # No process left to fork (a fork bomb at the pids limit) or no file descriptor (`ulimit -n`):
  # this bash carries on as it is, or ends if it was ending (then without reporting the command).
  if builtin read -r __ds_k </sys/fs/cgroup/pids.max && [[ $__ds_k != max ]] && builtin read -r __ds_j </sys/fs/cgroup/pids.current &&
    ((__ds_j + 2 > __ds_k)); then
    builtin return 1
  fi 2>/dev/null
  __ds_st=$(\__ds_state) && [[ $__ds_st == *__ds_setup* ]] || builtin return 1
  builtin exec {__ds_r}<<<"$__ds_st" || builtin return 1
  __ds_st=
  if [[ -n $__ds_hk ]]; then
    builtin echo "exit task ${__ds_hk%% *}" >&$__ds_e
    builtin echo "exit task $__ds_hk" >&$__ds_o
  fi
  BASH_ENV=/dev/fd/$__ds_r builtin exec -a bash "$BASH" --noprofile --norc <&$__ds_i >&$__ds_o 2>&$__ds_e {__ds_i}<&- {__ds_o}>&- {__ds_e}>&- {__ds_z}>&-
}

# The shell's state as a script that gives it to a new bash (the EXIT trap's, and snapshots').
__ds_state() {
  builtin local IFS=$' \t\n' __ds_v __ds_j=f
  builtin local -a __ds_fn
  # The new bash has read this script whole: close the pipe it came on.
  builtin printf '%s\n' '{ builtin eval "builtin exec ${BASH_ENV#/dev/fd/}<&-"; builtin unset -v BASH_ENV'
  builtin trap -p
  builtin declare -f
  # The function names, then the variable names (one subshell for both: at the pids limit it is the one left).
  for __ds_v in $(\builtin compgen -A function; \builtin echo =; \builtin compgen -v); do
    if [[ $__ds_j == f ]]; then
      case $__ds_v in = ) __ds_j= ;; __ds_* | exit | trap) ;; *) __ds_fn+=("$__ds_v") ;; esac
      continue
    fi
    case $__ds_v in
      BASH | BASHOPTS | BASHPID | BASH_ALIASES | BASH_ARG* | BASH_CMDS | BASH_COMMAND | BASH_ENV | BASH_EXECUTION_STRING | BASH_LINENO | \
        BASH_REMATCH | BASH_SOURCE | BASH_SUBSHELL | BASH_VERSINFO | BASH_VERSION | COMP_WORDBREAKS | DIRSTACK | EPOCHREALTIME | \
        EPOCHSECONDS | EUID | FUNCNAME | GROUPS | HISTCMD | HOSTNAME | HOSTTYPE | LINENO | MACHTYPE | OSTYPE | PIPESTATUS | PPID | \
        PWD | RANDOM | SECONDS | SHELLOPTS | SRANDOM | UID | _ | __ds_[ioerz] | __ds_v | __ds_j | __ds_fn | __ds_fd | __ds_rt) ;;
      *) builtin declare -p -- "$__ds_v" ;;
    esac
  done
  # The user's functions again, one text each, for the command loop to define (see LOOP in
  # command-framing.ts) at the top level of bash's input, as they were first: defined from here,
  # bash would name this script's /dev/fd path in their messages and count their lines in it.
  # Should a here-document fail (no pipe left), the definitions above stand.
  __ds_v=__ds_fn_$SRANDOM$SRANDOM
  for __ds_j in "${__ds_fn[@]}"; do
    builtin printf "__ds_fd=; IFS= builtin read -r -d '' __ds_fd <<'%s'\n" "$__ds_v"
    builtin declare -f -- "$__ds_j"
    builtin printf '%s\n%s\n' "$__ds_v" '[[ -z $__ds_fd ]] || __ds_fdefs+=("$__ds_fd")'
  done
  builtin alias -p
  builtin shopt -p
  builtin set +o
  builtin printf 'builtin cd -- %q\n' "$PWD"
  builtin umask -p
  for ((__ds_j = ${#DIRSTACK[@]} - 1; __ds_j >= 1; __ds_j--)); do builtin printf 'builtin pushd -n -- %q\n' "${DIRSTACK[__ds_j]}"; done
  builtin printf '%s\n' '} >/dev/null 2>&1' '__ds_setup' '[[ -z $__ds_ready ]] || __ds_ready'
}

# The session's first answer, from the bash that runs its commands: its pid, at top level.
__ds_ready() {
  builtin echo "exit task $__ds_ready" >&$__ds_e
  builtin echo "exit task $__ds_ready $$ top" >&$__ds_o
  __ds_ready=
}

__ds_oom() {
  builtin local s=$? f=/sys/fs/cgroup/memory.events k v
  [[ -r $f ]] || f=/sys/fs/cgroup/memory/memory.oom_control
  while builtin read -r k v; do [[ $k == oom_kill ]] && builtin echo "$v"; done 2>/dev/null <"$f"
  builtin return $s
}

__ds_fl= __ds_s=0 __ds_w=0 __ds_id= __ds_top= __ds_in= __ds_h= __ds_ex= __ds_clr= __ds_tclr= __ds_al= __ds_hold= __ds_held= __ds_to=
