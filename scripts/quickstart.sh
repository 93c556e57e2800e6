#!/usr/bin/env bash
# The README's first command: install dependencies, build, provision the models and run the
# main job (AU extraction) on a sample video. Prints where the CSV went.
#
#   scripts/quickstart.sh [VIDEO...]
set -euo pipefail

repo_root=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo_root"
shared=${FACEMIRROR_SHARED_DIR:-$repo_root/../shared}

bash scripts/install_deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DFACEMIRROR_BUILD_TESTS=OFF >/dev/null
cmake --build build/release --target facemirror_cli
bash scripts/fetch_models.sh

videos=("$@")
if [ ${#videos[@]} -eq 0 ]; then
  sample="$shared/videos/openface-samples/default.wmv"
  if [ ! -f "$sample" ]; then
    echo "quickstart: no sample video at $sample; pass a video: scripts/quickstart.sh my.mp4" >&2
    exit 1
  fi
  videos=("$sample")
fi
build/release/tools/facemirror/facemirror aus "${videos[@]}" -o out/
echo "quickstart: CSVs written to $repo_root/out/"
ls -1 "$repo_root"/out/*.csv
