#!/usr/bin/env bash
# Runs bench/fidelity.py once per start offset on a build that carries perturbation_nudge.patch,
# and counts the videos below the bar in each run: the expected outcome of a build over draws of
# its rounding, not one draw (docs/fidelity_notes.md, sessions 19 and 20).
#   docs/experiments/perturbation_ensemble.sh BUILD_DIR OUT_DIR [SHARED_DIR]
# ULPS=1 draws in whole float ulps of every tracked start (FACEMIRROR_NUDGE_ULPS), which a float
# fit also sees; otherwise in fixed pixel offsets (FACEMIRROR_NUDGE), which it rounds away.
set -euo pipefail
build=$1 out=$2 shared=${3:-../shared}
mkdir -p "$out"
if [[ ${ULPS:-0} == 1 ]]; then
  variable=FACEMIRROR_NUDGE_ULPS draws="0 1 -1 2 -2 4 -4 8 -8"
else
  variable=FACEMIRROR_NUDGE draws="0 1e-6 -1e-6 3e-6 -3e-6 1e-5 -1e-5 1e-4 -1e-4"
fi
for nudge in $draws; do
  env "$variable=$nudge" python3 bench/fidelity.py --cli "$build/tools/facemirror/facemirror" \
    --shared "$shared" --set all --models dynamic >"$out/nudge_$nudge.txt" 2>&1 || true
  misses=$(sed -n '/Below the bar/,$p' "$out/nudge_$nudge.txt" | grep -c '^- ' || true)
  echo "$variable=$nudge: $misses videos below the bar"
done
