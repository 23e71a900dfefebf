# docker-shell's recycle scan, run in the sandbox in a subshell of the session's shell (see
# recycler.ts): at the baseline the shell has just started, at a recycle it has just been replaced by
# a fresh bash, so nothing a job left behind runs the scan.
#   ( set -- baseline SHELL_PID; <this script> )
#   ( set -- recycle SHELL_PID PLACE_COUNT (MODE PLACE)... EXE CWD KEPT_PATH...; <this script> )
# Every program it starts costs a fork and an exec (10 to 60 ms each on a busy 2-core machine), so
# it uses builtins wherever it can, and starts at most one `find` when there is nothing to clean.
# `recycle` first cleans: it kills every process but init, the session's shell and itself (until a
# pass finds none: stopped, setsid, double-forked ones and fork bombs alike), removes every entry of
# the writable places that the baseline does not have, and every SysV IPC object. Then both modes
# print what they find, records ending in NUL, read from /proc and the file system only.
mode=$1 shell=$2
shift 2
# The scan runs in a subshell of the session's shell: $ would be that shell.
self=$BASHPID
rec() { printf '%s\0' "$*"; }
rec "user $EUID"

places=() modes=()
if [[ $mode == recycle ]]; then
  count=$1
  shift
  for ((i = 0; i < count; i++)); do modes+=("$1") places+=("$2"); shift 2; done
  expected=("$1" "$2")
  shift 2
  declare -A kept=()
  for path in "$@"; do kept[$path]=1; done
  for ((round = 0; round < 1000; round++)); do
    left=
    for dir in /proc/[0-9]*; do
      pid=${dir#/proc/}
      [[ $pid == 1 || $pid == "$shell" || $pid == "$self" ]] && continue
      read -r stat <"$dir/stat" 2>/dev/null || continue
      state=${stat##*) }
      state=${state%% *}
      # A zombie waits for init to reap it.
      [[ $state == Z ]] && { left=1; continue; }
      kill -9 "$pid" 2>/dev/null && left=1
    done
    [[ -z $left ]] && break
  done
  # What is not kept goes; a kept directory is looked into (globs: no program to start).
  shopt -s dotglob nullglob
  victims=() victimDirs=() dirs=("${places[@]}")
  while ((${#dirs[@]} > 0)); do
    dir=${dirs[-1]}
    unset 'dirs[-1]'
    [[ -r $dir && -w $dir && -x $dir ]] || chmod u+rwx -- "$dir" 2>/dev/null
    for path in "${dir%/}"/*; do
      if [[ -z ${kept[$path]+x} ]]; then
        victims+=("$path")
        [[ -d $path && ! -L $path ]] && victimDirs+=("$path")
      elif [[ -d $path && ! -L $path ]]; then dirs+=("$path"); fi
    done
  done
  shopt -u dotglob nullglob
  if ((${#victims[@]} > 0)); then
    # A job's `chmod 000` directory must not stop its removal.
    # (Only directories need it: a file goes with its directory's permission, and `chmod` is a program to start.)
    ((${#victimDirs[@]} == 0)) || chmod -R u+rwx -- "${victimDirs[@]}" 2>/dev/null
    rm -rf -- "${victims[@]}" 2>/dev/null
  fi
  for ((i = 0; i < ${#places[@]}; i++)); do
    [[ ${modes[i]} == keep ]] || chmod "${modes[i]}" -- "${places[i]}" 2>/dev/null
  done
  if [[ -e /proc/sysvipc/shm ]]; then
    for kind in shm msg sem; do
      { read -r _ && read -r _ && ipcrm -a 2>/dev/null; } <"/proc/sysvipc/$kind" 2>/dev/null && break
    done
  else
    # gVisor has no /proc/sysvipc: ipcrm and ipcs ask the kernel.
    ipcrm -a 2>/dev/null
  fi
else
  # Every directory the user can write to, on every mount it could write to.
  points=()
  while read -r _ _ _ _ point options _; do
    [[ $options == rw* ]] || continue
    case $point in /proc | /proc/* | /sys | /sys/* | /dev/pts) continue ;; esac
    points+=("$point")
  done </proc/self/mountinfo
  declare -A seen=()
  while IFS= read -r -d '' dir; do
    [[ -n ${seen[$dir]+x} ]] || places+=("$dir")
    seen[$dir]=1
  done < <(find "${points[@]}" -xdev -type d -writable -print0 -prune 2>/dev/null)
fi

# Processes first, with builtins only: nothing of this script's is running but itself.
for dir in /proc/[0-9]*; do
  pid=${dir#/proc/}
  [[ $pid == "$self" ]] && continue
  read -r stat <"$dir/stat" 2>/dev/null || continue
  comm=${stat#*\(}
  comm=${comm%)*}
  rest=(${stat##*) })
  [[ ${rest[1]} == "$self" ]] && continue
  if [[ $pid == 1 ]]; then rec "proc init $comm"; elif [[ $pid == "$shell" ]]; then rec "proc shell $comm"; else rec "proc other $comm (pid $pid, state ${rest[0]})"; fi
done

# The session's shell: what it runs, with what environment, where, how.
proc=/proc/$shell
# (readlink: gVisor's /proc links are no symlinks to `find -printf %l`, nor the same file to `-ef`.)
if [[ $mode == baseline ]]; then
  links=$(readlink "$proc/exe" "$proc/cwd" 2>/dev/null)
  rec "exe ${links%%$'\n'*}"
  rec "cwd ${links#*$'\n'}"
else
  # The baseline's, or not (no program to start): `-ef` compares the files themselves.
  for ((i = 0; i < 2; i++)); do
    kind=(exe cwd)
    if [[ -z ${expected[i]} || $proc/${kind[i]} -ef ${expected[i]} ]]; then rec "${kind[i]} ${expected[i]}"; else rec "${kind[i]} (another)"; fi
  done
fi
# Each descriptor by its type, and the first lower one open on the same thing.
byNumber=()
for fd in "$proc"/fd/*; do byNumber[${fd##*/}]=${fd##*/}; done
fds=("${byNumber[@]}")
for ((i = 0; i < ${#fds[@]}; i++)); do
  fd=$proc/fd/${fds[i]}
  if [[ -p $fd ]]; then type=pipe; elif [[ -S $fd ]]; then type=socket; elif [[ -c $fd ]]; then type=char; elif [[ -d $fd ]]; then type=dir; elif [[ -f $fd ]]; then type=file; else type=other; fi
  same=
  [[ $fd -ef /dev/null ]] && same=" /dev/null"
  for ((j = 0; j < i; j++)); do [[ $fd -ef $proc/fd/${fds[j]} ]] && { same=" as ${fds[j]}"; break; }; done
  rec "fd ${fds[i]} $type$same"
done
mapfile -d '' -t words <"$proc/cmdline"
rec "argv ${words[*]:1}"
mapfile -d '' -t words <"$proc/environ"
for word in "${words[@]}"; do rec "env $word"; done
while IFS=$'\t' read -r key value; do
  case $key in Umask: | SigIgn: | SigBlk: | SigCgt:) rec "status $key $value" ;; esac
done <"$proc/status"
while IFS= read -r line; do [[ $line == Limit* ]] || rec "limit $line"; done <"$proc/limits"

# Kernel objects outside the file system.
if [[ -e /proc/sysvipc/shm ]]; then
  for kind in shm msg sem; do
    { read -r _ && while read -r line; do rec "ipc $kind $line"; done; } <"/proc/sysvipc/$kind" 2>/dev/null
  done
else
  while read -r key rest; do [[ $key == 0x* ]] && rec "ipc $key $rest"; done < <(ipcs -m -q -s 2>&1 || echo "0x (ipcs failed)")
fi
for kind in tcp tcp6 udp udp6; do
  { read -r _ && while read -r _ address _ state _; do
    [[ $kind == udp* || $state == 0A ]] && rec "listen $kind $address"
  done; } <"/proc/net/$kind" 2>/dev/null
done
{ read -r _ && while read -r _ _ _ flags _ _ _ path; do
  [[ $flags == 00010000 ]] && rec "listen unix ${path:-(unnamed)}"
done; } </proc/net/unix 2>/dev/null

# Every entry of every writable place.
for place in "${places[@]}"; do rec "place $place"; done
((${#places[@]} == 0)) || find "${places[@]}" -xdev -printf 'file %y %#m %U %G %s %C@ %p\0' 2>/dev/null
rec "end"
