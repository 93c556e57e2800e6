#!/usr/bin/env bash
# Provisions OpenFace 2.2's model files into a models folder and verifies every file against
# models/openface-2.2.0.sha256 (kept in this repository; installed beside this script as
# share/facemirror/openface-2.2.0.sha256).
#
#   scripts/fetch_models.sh [--from DIR] [DEST]
#
# DEST defaults to $FACEMIRROR_MODELS, else ${XDG_DATA_HOME:-~/.local/share}/facemirror/models
# (where the facemirror CLI looks by default). The files come from --from DIR, else from the
# shared data folder beside this checkout (../shared/models/openface) when present, else they
# are downloaded from the upstream OpenFace repository at the pinned release tag.
# The files are OpenFace's: academic, non-commercial use only (see OpenFace-license.txt).
set -euo pipefail

script_dir=$(cd "$(dirname "$0")" && pwd)
repo_root=$(dirname "$script_dir")
sums="$repo_root/models/openface-2.2.0.sha256"
[ -f "$sums" ] || sums="$script_dir/openface-2.2.0.sha256"  # the installed layout
if [ ! -f "$sums" ]; then
  echo "fetch_models: the checksum list openface-2.2.0.sha256 is neither in $repo_root/models/" \
       "nor beside this script in $script_dir" >&2
  exit 1
fi
upstream="https://raw.githubusercontent.com/TadasBaltrusaitis/OpenFace/OpenFace_2.2.0"

source_dir=""
if [ "${1:-}" = "--from" ]; then
  source_dir=$2
  shift 2
fi
dest=${1:-${FACEMIRROR_MODELS:-${XDG_DATA_HOME:-$HOME/.local/share}/facemirror/models}}
if [ -z "$source_dir" ]; then
  shared=${FACEMIRROR_SHARED_DIR:-$repo_root/../shared}
  [ -d "$shared/models/openface" ] && source_dir="$shared/models/openface"
fi

verify() {
  (cd "$dest" && sha256sum --quiet --strict -c "$sums") 2>&1
}

mkdir -p "$dest"
if verify >/dev/null 2>&1; then
  echo "fetch_models: $dest already holds verified OpenFace 2.2 models" >&2
  exit 0
fi

# Upstream keeps the AU models and the landmark models in two source folders.
upstream_path() {
  case "$1" in
    AU_predictors/*) echo "lib/local/FaceAnalyser/$1" ;;
    model/*) echo "lib/local/LandmarkDetector/$1" ;;
    *) echo "$1" ;;
  esac
}

while read -r _ file; do
  file=${file#./}
  mkdir -p "$dest/$(dirname "$file")"
  if [ -n "$source_dir" ]; then
    cp "$source_dir/$file" "$dest/$file"
  else
    curl -fsSL --retry 3 -o "$dest/$file" "$upstream/$(upstream_path "$file")"
  fi
done <"$sums"

if ! report=$(verify); then
  echo "fetch_models: checksum verification failed in $dest:" >&2
  echo "$report" | grep -v ': OK$' >&2
  exit 1
fi
echo "fetch_models: verified $(wc -l <"$sums") files in $dest (from ${source_dir:-$upstream})" >&2
