#!/usr/bin/env bash
# The README's second command, and what CI runs (.ci/run): install dependencies, build with
# warnings as errors, run the test suite. Tests that need ../shared skip when it is absent.
# Labels: unit, integration, concurrency, shared (needs ../shared), slow (left out here;
# run them with: ctest --test-dir build/ci -L slow).
set -euo pipefail

repo_root=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo_root"
jobs=$(nproc)

bash scripts/install_deps.sh
if [ -d ../shared ] && [ -z "${FACEMIRROR_SHARED_DIR:-}" ]; then
  export FACEMIRROR_SHARED_DIR=$(cd ../shared && pwd)
fi
cmake -S . -B build/ci -G Ninja -DCMAKE_BUILD_TYPE=Release -DFACEMIRROR_WERROR=ON \
  -DFACEMIRROR_SHARED_DIR="${FACEMIRROR_SHARED_DIR:-$repo_root/../shared}"
cmake --build build/ci -j "$jobs"
ctest --test-dir build/ci --output-on-failure -j "$jobs" -LE slow
