#!/usr/bin/env bash
# Runs every client-library script (run.sh) against redis-server and ringside, each without and
# with a password, and prints one library × target matrix.
#
#   tests/clients/matrix.sh [RINGSIDE_BINARY] [TARGET...]
#   tests/clients/matrix.sh build/ringside                      # all six targets
#   tests/clients/matrix.sh build/ringside ringside_upstream    # one target (a CTest entry each)
#   RINGSIDE_BINARY=build/ringside tests/clients/matrix.sh redis ringside
#
# Targets (columns), each started on a free loopback port with a temp dir of its own and stopped
# again before the next one starts:
#   redis                        redis-server, the reference
#   redis_password               redis-server --requirepass
#   ringside                     ringside alone (no upstream)
#   ringside_password            ringside with requirepass
#   ringside_upstream            ringside in front of a redis-server (upstream)
#   ringside_upstream_password   the same with requirepass on both, and upstream-password
#   ringside_upstream_auth_password  the sidecar recipe: requirepass on the upstream only,
#                                ringside with auth-mode upstream (logins checked there)
# A password target's URL is redis://:PASS@127.0.0.1:PORT/0. Every server listens on a unix
# socket in its temp dir as well, and REDIS_SOCKET names it, so the unix-socket check runs.
#
# The ringside binary: RINGSIDE_TEST_BINARY when set (the override the end-to-end tests obey),
# else argument 1, else $RINGSIDE_BINARY; only needed for the ringside targets. The first
# argument counts as the binary unless it is a target name.
# Env: CLIENT_TIMEOUT (seconds per client script, default 60, so that seven scripts stay inside
#      CTest's 600 s), ONLY (libraries, passed to run.sh), RINGSIDE_TEST_IO_BACKEND (ringside's
#      io-backend), MATRIX_KEEP=1 (keep the temp dir with every log and print its path).
# Exit status: 0 when every cell passed, 1 when one failed, 2 for a usage or setup error.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
all_targets=(redis redis_password ringside ringside_password ringside_upstream
             ringside_upstream_password ringside_upstream_auth_password)
ready_deadline_s=20  # a server not answering PING by then counts as failed to start
stop_deadline_s=10   # SIGTERM first; SIGKILL after this
start_attempts=3     # a port taken between the check and the bind gets another try

is_target() {
  local t
  for t in "${all_targets[@]}" all; do [[ $1 == "$t" ]] && return 0; done
  return 1
}

usage() {
  echo "usage: $0 [RINGSIDE_BINARY] [TARGET...]   targets: ${all_targets[*]} (default all)" >&2
  exit 2
}

# ---- arguments ----------------------------------------------------------------------------
binary=${RINGSIDE_BINARY:-}
if (($#)) && ! is_target "$1"; then
  binary=$1
  shift
fi
binary=${RINGSIDE_TEST_BINARY:-$binary}
targets=()
for t in "$@"; do
  is_target "$t" || { echo "unknown target: $t" >&2; usage; }
  if [[ $t == all ]]; then targets+=("${all_targets[@]}"); else targets+=("$t"); fi
done
((${#targets[@]})) || targets=("${all_targets[@]}")

for tool in redis-server redis-cli; do
  command -v "$tool" >/dev/null || { echo "$tool not found (apt-get install redis-server)" >&2; exit 2; }
done
uses_ringside=0
[[ " ${targets[*]}" == *" ringside"* ]] && uses_ringside=1
if ((uses_ringside)); then
  [[ -n $binary ]] || { echo "no ringside binary given" >&2; usage; }
  [[ -x $binary ]] || { echo "ringside binary not executable: $binary" >&2; exit 2; }
  binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
fi
export CLIENT_TIMEOUT=${CLIENT_TIMEOUT:-60}

# ---- node packages ------------------------------------------------------------------------
# node_modules comes from package-lock.json; installed when missing or older than the lock
# file. The lock serialises parallel runs of this script around the install.
node_dir=$here/node
if [[ ! -f $node_dir/node_modules/.package-lock.json ||
      $node_dir/package-lock.json -nt $node_dir/node_modules/.package-lock.json ]]; then
  command -v npm >/dev/null || { echo "npm not found (apt-get install nodejs npm)" >&2; exit 2; }
  (
    flock 9
    if [[ ! -f $node_dir/node_modules/.package-lock.json ||
          $node_dir/package-lock.json -nt $node_dir/node_modules/.package-lock.json ]]; then
      echo "npm ci in $node_dir"
      cd "$node_dir" && npm ci --no-audit --no-fund
    fi
  ) 9>"${TMPDIR:-/tmp}/ringside-clients-npm.lock" || { echo "npm ci failed" >&2; exit 2; }
fi

# ---- servers ------------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/ringside-matrix.XXXXXX")
# The longest unix socket path below must fit sun_path (108 bytes with its NUL).
longest_socket=$work/ringside_upstream_auth_password/server/ringside.sock
if ((${#longest_socket} > 107)); then
  echo "temp dir too deep for a unix socket path ($longest_socket): set a shorter TMPDIR" >&2
  rm -rf "$work"
  exit 2
fi
declare -A server_name=()  # pid -> name, for every server still running
used_ports=" "

# SIGTERM, then SIGKILL after stop_deadline_s; sets stop_status to the server's exit status.
stop_server() {  # pid
  local pid=$1 deadline=$((SECONDS + stop_deadline_s))
  kill -TERM "$pid" 2>/dev/null || true
  while alive "$pid" && ((SECONDS < deadline)); do sleep 0.05; done
  if alive "$pid"; then
    echo "${server_name[$pid]} (pid $pid) still running ${stop_deadline_s}s after SIGTERM: SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  stop_status=0
  wait "$pid" 2>/dev/null || stop_status=$?
  unset "server_name[$pid]"
}

# Every descendant of a process, deepest first. run.sh's `timeout` puts each client in a
# process group of its own, so a signal to our group alone would not reach the clients.
descendants() {
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    descendants "$child"
    echo "$child"
  done
}

runner=''  # the subshell running run.sh, while it runs
cleanup() {
  local pid
  if [[ -n $runner ]]; then
    for pid in $(descendants "$runner") "$runner"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait "$runner" 2>/dev/null || true
  fi
  for pid in "${!server_name[@]}"; do stop_server "$pid"; done
  if [[ ${MATRIX_KEEP:-} == 1 ]]; then echo "logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# Running and not yet a zombie (kill -0 also succeeds on a zombie that is not reaped yet).
alive() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ -n $state && $state != Z* ]]
}

# A loopback port that nothing holds in any state (listening, connected, TIME_WAIT) according
# to /proc/net/tcp{,6}, and that this run has not handed out. Taken from below the kernel's
# ephemeral range (32768-60999), so the clients' own outgoing connections cannot be on it.
free_port() {
  local port hex i t tables=()
  for t in /proc/net/tcp /proc/net/tcp6; do [[ -r $t ]] && tables+=("$t"); done
  for ((i = 0; i < 200; i++)); do
    port=$((20000 + RANDOM % 12000))
    [[ $used_ports == *" $port "* ]] && continue
    printf -v hex '%04X' "$port"
    if ! awk -v p=":$hex" 'FNR > 1 && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' \
         "${tables[@]}"; then
      used_ports+="$port "
      echo "$port"
      return 0
    fi
  done
  echo "no free port found" >&2
  return 1
}

# Polls PING (with the password, if any) until PONG, the process exits, or the deadline passes.
wait_ready() {  # pid port password
  local pid=$1 port=$2 pass=$3 deadline=$((SECONDS + ready_deadline_s)) auth=() reply
  [[ -n $pass ]] && auth=(-a "$pass" --no-auth-warning)
  while ((SECONDS < deadline)); do
    alive "$pid" || return 1
    reply=$(timeout 2 redis-cli -h 127.0.0.1 -p "$port" "${auth[@]}" ping 2>/dev/null) || true
    [[ $reply == PONG ]] && return 0
    sleep 0.05
  done
  echo "no PONG on port $port within ${ready_deadline_s}s" >&2
  return 1
}

# Starts one server: start_server NAME KIND DIR PASS [UPSTREAM_PORT]. KIND is redis or ringside.
# Sets started_pid and started_port. Retries on another port when the chosen one was taken.
start_server() {
  local name=$1 kind=$2 dir=$3 pass=$4 upstream_port=${5:-} attempt port pid log cmd=()
  mkdir -p "$dir"
  log=$dir/server.log
  for ((attempt = 1; attempt <= start_attempts; attempt++)); do
    port=$(free_port) || return 1
    if [[ $kind == redis ]]; then
      cmd=(redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save '' --appendonly no
           --daemonize no --unixsocket "$dir/redis.sock")
      [[ -n $pass ]] && cmd+=(--requirepass "$pass")
    else
      {
        echo "bind 127.0.0.1"
        echo "port $port"
        echo "dir $dir/data"
        echo "threads 2"
        echo "unixsocket $dir/ringside.sock"
        echo "appendonly no"
        [[ -n ${RINGSIDE_TEST_IO_BACKEND:-} ]] && echo "io-backend $RINGSIDE_TEST_IO_BACKEND"
        # With auth-mode upstream the application's password is checked by the upstream and
        # is in ringside's configuration only as ringside's own upstream-password (Redis with
        # requirepass alone has no other user to give ringside).
        if [[ $name == *_auth_* ]]; then
          echo "auth-mode upstream"
        elif [[ -n $pass ]]; then
          echo "requirepass $pass"
        fi
        if [[ -n $upstream_port ]]; then
          echo "upstream 127.0.0.1:$upstream_port"
          [[ -n $pass ]] && echo "upstream-password $pass"
        fi
        true
      } >"$dir/ringside.conf"
      cmd=("$binary" "$dir/ringside.conf")
    fi
    "${cmd[@]}" >"$log" 2>&1 &
    pid=$!
    server_name[$pid]=$name
    if wait_ready "$pid" "$port" "$pass"; then
      started_pid=$pid started_port=$port
      echo "started $name: pid $pid, port $port"
      return 0
    fi
    stop_server "$pid"
    if ((attempt < start_attempts)) && grep -qi 'address already in use' "$log"; then
      echo "$name: port $port taken meanwhile, trying another" >&2
      continue
    fi
    echo "$name did not start (exit status $stop_status); its log:" >&2
    tail -n 30 "$log" >&2
    return 1
  done
}

# ---- one target ---------------------------------------------------------------------------
declare -A cell=() why=()
libraries=()  # rows, in run.sh's order
notes=()      # target-level failures (a server that did not start or did not exit cleanly)

note_failure() { notes+=("$1"); }

run_target() {
  local target=$1 dir=$work/$1 pass='' url sock pids=() names=() logs=() pid i
  local up_pid='' up_port='' pid_main port_main
  [[ $target == *_password ]] && pass=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
  case $target in
    ringside_upstream*)
      start_server "$target/upstream-redis" redis "$dir/upstream" "$pass" || {
        note_failure "$target: upstream redis-server did not start"; return 0; }
      up_pid=$started_pid up_port=$started_port
      pids+=("$up_pid") names+=("upstream redis-server") logs+=("$dir/upstream/server.log")
      ;;
  esac
  if [[ $target == redis* ]]; then
    start_server "$target" redis "$dir/server" "$pass" || {
      note_failure "$target: redis-server did not start"; stop_target; return 0; }
    sock=$dir/server/redis.sock
    names+=("redis-server") logs+=("$dir/server/server.log")
  else
    start_server "$target" ringside "$dir/server" "$pass" "$up_port" || {
      note_failure "$target: ringside did not start"; stop_target; return 0; }
    sock=$dir/server/ringside.sock
    names+=("ringside") logs+=("$dir/server/server.log")
  fi
  pid_main=$started_pid port_main=$started_port
  pids+=("$pid_main")
  url=redis://127.0.0.1:$port_main/0
  [[ -n $pass ]] && url=redis://:$pass@127.0.0.1:$port_main/0

  echo
  echo "==== $target"
  local out=$dir/run.out rc=0
  # In the background and waited for, so that a signal is handled at once (bash runs a trap
  # only after the foreground command ends) and the EXIT trap can stop the clients as well.
  (CLIENT_LOGS=$dir/clients REDIS_SOCKET=$sock "$here/run.sh" "$url" 2>&1 | tee "$out") &
  runner=$!
  wait "$runner" || rc=$?
  runner=''

  # run.sh's own matrix: "<library> PASS" or "<library> FAIL   <first failure line>".
  local line lib result reason parsed=0
  while IFS= read -r line; do
    read -r lib result reason <<<"$line"
    [[ $result == PASS || $result == FAIL ]] || continue
    [[ -v "seen[$lib]" ]] || { seen[$lib]=1; libraries+=("$lib"); }
    cell[$lib|$target]=$result
    why[$lib|$target]=$reason
    parsed=$((parsed + 1))
    if [[ $result == FAIL ]]; then
      echo "---- $target / $lib: client log"
      tail -n 40 "$dir/clients/$lib.log" || true
    fi
  done < <(awk '/^clients: /{ m = 0 } m; /^== client matrix for /{ m = 1 }' "$out")
  if ((rc != 0 && parsed == 0)); then
    note_failure "$target: run.sh exit status $rc and no matrix"
  fi

  # The servers must still run after the clients, and exit 0 on SIGTERM.
  for i in "${!pids[@]}"; do
    pid=${pids[i]}
    alive "$pid" || note_failure "$target: ${names[i]} exited during the run"
    stop_server "$pid"
    if ((stop_status != 0)); then
      note_failure "$target: ${names[i]} exit status $stop_status at SIGTERM"
      echo "---- $target: ${names[i]} log"
      tail -n 30 "${logs[i]}" || true
    fi
  done
  return 0
}

# Stops what run_target started before it gave up (the EXIT trap would do it as well).
stop_target() {
  local pid
  for pid in "${!server_name[@]}"; do stop_server "$pid"; done
}

declare -A seen=()
started=$SECONDS
echo "client matrix: targets ${targets[*]}"
if ((uses_ringside)); then echo "ringside binary: $binary"; fi
for target in "${targets[@]}"; do run_target "$target"; done

# ---- the matrix ---------------------------------------------------------------------------
passed=0 failed=0
echo
echo "==== client matrix: library × target"
printf '%-16s' library
for target in "${targets[@]}"; do printf '  %-*s' "${#target}" "$target"; done
echo
for lib in "${libraries[@]}"; do
  printf -v row '%-16s' "$lib"
  for target in "${targets[@]}"; do
    result=${cell[$lib|$target]:--}  # "-": not run (ONLY left it out)
    case $result in
      PASS) passed=$((passed + 1)) ;;
      FAIL) failed=$((failed + 1)) ;;
    esac
    printf -v row '%s  %-*s' "$row" "${#target}" "$result"
  done
  echo "${row%"${row##*[! ]}"}"
done
if ((failed)); then
  echo
  echo "failed cells (first failure line):"
  for target in "${targets[@]}"; do
    for lib in "${libraries[@]}"; do
      if [[ ${cell[$lib|$target]:-} == FAIL ]]; then echo "  $target / $lib: ${why[$lib|$target]}"; fi
    done
  done
fi
if ((${#notes[@]})); then
  echo
  echo "server failures:"
  printf '  %s\n' "${notes[@]}"
fi
if ((failed || ${#notes[@]})) && [[ ${MATRIX_KEEP:-} != 1 ]]; then
  echo "(the temp dir with every log goes at exit; MATRIX_KEEP=1 keeps it)"
fi
echo
echo "matrix: $passed passed, $failed failed, ${#notes[@]} server failures, $((SECONDS - started))s"
((failed == 0 && ${#notes[@]} == 0))
