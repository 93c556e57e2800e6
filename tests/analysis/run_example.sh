#!/usr/bin/env bash
# run_example.sh SHARED_DIR PROGRAM ARGS...: runs an example with the shared models folder as its
# first argument and shared-relative paths after it; exit 77 (skipped) without the shared data.
set -euo pipefail
shared=$1 program=$2
shift 2
if [ ! -d "$shared/models/openface" ]; then
  echo "skipped: no shared data folder at $shared"
  exit 77
fi
args=()
for a in "$@"; do args+=("$shared/$a"); done
exec "$program" "$shared/models/openface" "${args[@]}"
