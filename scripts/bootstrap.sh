#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (as root) and either starts ringside or runs every test.
#
#   scripts/bootstrap.sh run    install dependencies, build, start ringside on conf/ringside.conf
#   scripts/bootstrap.sh test   install dependencies, build with -Werror, run the whole test suite
set -euo pipefail

mode="${1:-}"
if [[ "$mode" != "run" && "$mode" != "test" ]]; then
  echo "usage: $0 run|test" >&2
  exit 2
fi
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config
  liburing-dev libhiredis-dev libevent-dev libspdlog-dev libgtest-dev libssl-dev libabsl-dev
  libmimalloc-dev
)
if [[ "$mode" == "test" ]]; then
  # The real servers and clients the tests talk to, the openssl tool for the TLS tests'
  # certificates, clang for the parser's fuzz target, and nutcracker and gnuplot for the
  # benchmark's smoke test.
  packages+=(redis-server redis-tools python3 python3-redis openssl clang libclang-rt-14-dev
             nutcracker gnuplot-nox)
  # The client libraries of tests/clients (the npm ones come from its package-lock.json); node
  # and npm from Debian unless the machine has them already.
  packages+=(php-cli php-redis ruby ruby-redis)
  command -v npm >/dev/null || packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

jobs="$(nproc)"
if [[ "$mode" == "run" ]]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF
  cmake --build build -j"$jobs" --target ringside
  exec ./build/ringside conf/ringside.conf
fi

# The npm client libraries, from the lock file, before any test needs them.
(cd tests/clients/node && npm ci --no-audit --no-fund)

cmake -S . -B build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRINGSIDE_WERROR=ON
cmake --build build-test -j"$jobs"
ctest --test-dir build-test --output-on-failure -j"$jobs" --timeout 600

# The BigBulk end-to-end tests once more against ringside built with AddressSanitizer (only
# that target, in its own tree): a peer that goes away mid-body must leak nothing. At SIGTERM
# LeakSanitizer turns a leak into a non-zero exit status, which every one of those tests asserts.
cmake -S . -B build-test-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRINGSIDE_ASAN=ON \
  -DBUILD_TESTING=OFF
cmake --build build-test-asan -j"$jobs" --target ringside
RINGSIDE_TEST_BINARY="$PWD/build-test-asan/ringside" ASAN_OPTIONS=detect_leaks=1 \
  ctest --test-dir build-test --output-on-failure -j"$jobs" --timeout 600 -R '^BigBulkTest\.'
