#!/usr/bin/env bash
# Fails when a source file includes a header of a layer it must not depend on. The direction
# (docs/architecture.md): proxy -> backend, shards, resp; backend -> shards, resp; shards and resp are
# leaves; the reactors (proxy/io) see only themselves and backend's FileIo interface.
#
#   scripts/check_layering.sh [repository root]
set -euo pipefail
root="${1:-$(dirname "$0")/..}"
cd "$root"

# The folders each layer may include from, as include-path prefixes; the first matching
# folder pattern decides. Anything else of ours ("x/y.h" with x one of ours) is a violation.
allowed_for() {
  case "$1" in
    resp/*) echo "resp/" ;;
    shards/*) echo "shards/" ;;
    backend/*) echo "backend/ shards/ resp/" ;;
    proxy/io/*) echo "proxy/io/ backend/file_io.h" ;;
    proxy/acl/*) echo "proxy/acl/ shards/" ;;
    proxy/*) echo "proxy/ backend/ shards/ resp/" ;;
    *) echo "" ;;
  esac
}

status=0
while IFS= read -r file; do
  allowed="$(allowed_for "$file")"
  while IFS= read -r line; do
    inc="${line#*\"}"
    inc="${inc%%\"*}"
    case "$inc" in resp/*|shards/*|backend/*|proxy/*) ;; *) continue ;; esac
    ok=0
    for prefix in $allowed; do
      [[ "$inc" == "$prefix"* ]] && ok=1
    done
    if ((!ok)); then
      echo "$file includes \"$inc\", against the layering (allowed: $allowed)"
      status=1
    fi
  done < <(grep -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file" || true)
done < <(find resp shards backend proxy -type f \( -name '*.h' -o -name '*.cc' \) | sort)

if ((status == 0)); then echo "layering: every include follows the direction"; fi
exit "$status"
