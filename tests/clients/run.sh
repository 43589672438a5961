#!/usr/bin/env bash
# Run every client-library script against one target and print a PASS/FAIL matrix.
#   tests/clients/run.sh redis://127.0.0.1:6380/0
#   tests/clients/run.sh redis://:secret@127.0.0.1:6380/0        # requirepass
#   tests/clients/run.sh redis://alice:pw@127.0.0.1:6380/0       # ACL user
#   REDIS_SOCKET=/run/ringside.sock tests/clients/run.sh URL     # also check the unix socket
# Env: CLIENT_TIMEOUT (seconds per script, default 120), CLIENT_LOGS (log dir, default a temp dir),
#      ONLY (space-separated names from the list below to run a subset).
set -u
here=$(cd "$(dirname "$0")" && pwd)
url=${1:-${REDIS_URL:-}}
if [[ -z "$url" ]]; then echo "usage: $0 redis://[[user]:pass@]host:port/db" >&2; exit 2; fi
export REDIS_URL=$url REDIS_SOCKET=${REDIS_SOCKET:-}
timeout_s=${CLIENT_TIMEOUT:-120}
logs=${CLIENT_LOGS:-$(mktemp -d /tmp/ringside-clients.XXXXXX)}
mkdir -p "$logs"

# name | directory | command (python3-redis is a Debian package: the system interpreter)
scripts=(
  "python3-redis|$here|/usr/bin/python3 python_redis.py"
  "php-redis|$here|php php_redis.php"
  "ruby-redis|$here|ruby ruby_redis.rb"
  "node-redis|$here/node|node node_redis.mjs"
  "node-redis-csc|$here/node|node node_redis_csc.mjs"
  "ioredis|$here/node|node ioredis.mjs"
  "connect-redis|$here/node|node connect_redis.mjs"
)

shown=${url/\/\/*:*@/\/\/***:***@}
echo "target: $shown${REDIS_SOCKET:+ (socket $REDIS_SOCKET)}   logs: $logs"
passed=0 failed=0 matrix=()
for entry in "${scripts[@]}"; do
  IFS='|' read -r name dir cmd <<<"$entry"
  if [[ -n "${ONLY:-}" && " $ONLY " != *" $name "* ]]; then continue; fi
  log=$logs/$name.log
  if [[ $dir == */node && ! -d $dir/node_modules ]]; then
    echo "node_modules missing: run 'npm ci' in $dir" >"$log"; rc=127
  else
    (cd "$dir" && timeout -k 5 "$timeout_s" $cmd) >"$log" 2>&1; rc=$?
  fi
  if [[ $rc -eq 0 ]]; then
    result=PASS; passed=$((passed + 1))
  else
    result=FAIL; failed=$((failed + 1))
    [[ $rc -eq 124 ]] && echo "TIMEOUT after ${timeout_s}s" >>"$log"
  fi
  why=
  [[ $result == FAIL ]] && why=$(grep -m1 -E '^(FAIL|TIMEOUT)' "$log" || tail -n 1 "$log")
  matrix+=("$(printf '%-16s %s%s' "$name" "$result" "${why:+   $why}")")
  printf '%-16s %s\n' "$name" "$result"
done
echo
echo "== client matrix for $shown"
printf '%s\n' "${matrix[@]}"
echo "clients: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
