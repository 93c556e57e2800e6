#!/usr/bin/env bash
# Stills of `facemirror mirror` for a person to look at.
#
#   bench/mirror_frames.sh OUTDIR [VIDEO...]
#
# Mirrors each VIDEO (default: shared open_dbm/subj01_timepoint01.mp4 and
# openface-samples/default.wmv) into OUTDIR/mirror/, then saves, for every input, one PNG per
# output video (the frame at 2 s) and a 2x2 grid
#
#     source          | debug
#     right_mirrored  | left_mirrored
#
# as OUTDIR/<stem>_grid.png. What to check: the debug midline runs glabella to chin; the
# right_mirrored face is the image-left half of the source and its reflection, left_mirrored the
# image-right half; no seams, colour shifts or sideways frames.
#
# Environment: FACEMIRROR (the CLI; default the first build/*/tools/facemirror/facemirror),
# FACEMIRROR_SHARED_DIR (default ../shared next to the repository), AT (seek time, default 2),
# MIRROR_ARGS (extra arguments for `facemirror mirror`, e.g. "--no-aus --workers 2").
set -euo pipefail

if [[ $# -lt 1 || "$1" == -h || "$1" == --help ]]; then
  sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$1"
shift
shared="$(realpath -m "${FACEMIRROR_SHARED_DIR:-$root/../shared}")"
at="${AT:-2}"
cli="${FACEMIRROR:-}"
if [[ -z "$cli" ]]; then
  for candidate in "$root"/build/*/tools/facemirror/facemirror; do
    if [[ -x "$candidate" ]]; then
      cli="$candidate"
      break
    fi
  done
fi
if [[ -z "$cli" || ! -x "$cli" ]]; then
  echo "mirror_frames.sh: no facemirror CLI found; build one or set FACEMIRROR" >&2
  exit 1
fi

videos=("$@")
if [[ ${#videos[@]} -eq 0 ]]; then
  videos=("$shared/videos/open_dbm/subj01_timepoint01.mp4"
    "$shared/videos/openface-samples/default.wmv")
fi

mkdir -p "$out/mirror"
# shellcheck disable=SC2086  # MIRROR_ARGS is a list of words
"$cli" mirror "${videos[@]}" -o "$out/mirror" --models "$shared/models/openface" \
  --progress none --force ${MIRROR_ARGS:-}

still() {  # still VIDEO PNG: the frame at $at seconds, upright (ffmpeg autorotates)
  ffmpeg -v error -y -ss "$at" -i "$1" -frames:v 1 "$2"
}

for video in "${videos[@]}"; do
  stem="$(basename "${video%.*}")"
  source=("$out/mirror/${stem}"_source.*)
  for kind in source debug right_mirrored left_mirrored; do
    if [[ $kind == source ]]; then
      file="${source[0]}"
    else
      file="$out/mirror/${stem}_${kind}.mp4"
    fi
    still "$file" "$out/${stem}_${kind}.png"
  done
  ffmpeg -v error -y \
    -i "$out/${stem}_source.png" -i "$out/${stem}_debug.png" \
    -i "$out/${stem}_right_mirrored.png" -i "$out/${stem}_left_mirrored.png" \
    -filter_complex "[0][1]hstack=inputs=2[top];[2][3]hstack=inputs=2[bottom];[top][bottom]vstack=inputs=2" \
    "$out/${stem}_grid.png"
  echo "$out/${stem}_grid.png"
done
