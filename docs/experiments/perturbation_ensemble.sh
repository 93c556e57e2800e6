#!/usr/bin/env bash
# Runs bench/fidelity.py once per start offset on a build that carries perturbation_nudge.patch,
# and counts the videos below the bar in each run: the expected outcome of a build over draws of
# its rounding, not one draw (docs/fidelity_notes.md, session 19).
#   docs/experiments/perturbation_ensemble.sh BUILD_DIR OUT_DIR [SHARED_DIR]
set -euo pipefail
build=$1 out=$2 shared=${3:-../shared}
mkdir -p "$out"
for nudge in 0 1e-6 -1e-6 3e-6 -3e-6 1e-5 -1e-5 1e-4 -1e-4; do
  FACEMIRROR_NUDGE=$nudge python3 bench/fidelity.py --cli "$build/tools/facemirror/facemirror" \
    --shared "$shared" --set all --models dynamic >"$out/nudge_$nudge.txt" 2>&1 || true
  misses=$(sed -n '/Below the bar/,$p' "$out/nudge_$nudge.txt" | grep -c '^- ' || true)
  echo "nudge $nudge px: $misses videos below the bar"
done
