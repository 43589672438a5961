#!/bin/sh
# Runs the libFuzzer parser target for a bounded time over a scratch copy of the seed corpus:
# libFuzzer adds what it finds to its corpus directory, and the checked-in seeds stay as they
# are. A crash input is written to the scratch directory's parent.
#   run_fuzz.sh FUZZER SEED_DIR WORK_DIR [SECONDS]
set -eu
fuzzer=$1
seeds=$2
work=$3
seconds=${4:-30}
rm -rf "$work"
mkdir -p "$work"
cp "$seeds"/* "$work"/
cd "$(dirname "$work")"
exec "$fuzzer" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 "$work"
