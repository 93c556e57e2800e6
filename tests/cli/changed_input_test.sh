#!/usr/bin/env bash
# changed_input_test.sh CLI SHARED_DIR SCRATCH
#
# An input that changes while it is read (a recording still being written, a frame added to a
# folder) is not the file that was analysed: the run fails it, naming it and why, removes its
# outputs and keeps no record, so the next run does it whole. A frame folder of 60 frames is
# touched as soon as the models are loaded, while its frames are being analysed (one worker).
set -euo pipefail
cli=$1 shared=$2 work=$3
fail() { echo "changed_input_test: $*" >&2; exit 1; }
clip="$shared/videos/openface-samples/changeLighting.wmv"
[ -f "$clip" ] || { echo "changed_input_test: $clip absent: skipped" >&2; exit 77; }
rm -rf "$work"
mkdir -p "$work/frames"
ffmpeg -nostdin -loglevel error -i "$clip" -frames:v 60 "$work/frames/f%03d.png"
args=(aus --frames "$work/frames" -o "$work/out" -w 1 --models "$shared/models/openface"
      --progress none)

"$cli" "${args[@]}" >"$work/run.log" 2>&1 &
runner=$!
for _ in $(seq 1 600); do
  grep -q "models loaded" "$work/run.log" && break
  sleep 0.05
done
# A minute on: a filesystem that keeps whole seconds still sees a change.
touch -d '+1 minute' "$work/frames/f030.png"
status=0
wait "$runner" || status=$?
[ "$status" = 1 ] || fail "the run exited $status, not 1: $(cat "$work/run.log")"
grep -q "^FAILED '$work/frames': changed while it was read" "$work/run.log" ||
  fail "no FAILED line naming the changed input: $(cat "$work/run.log")"
left=$(cd "$work/out" && find . -mindepth 1 | sort)
[ -z "$left" ] || fail "outputs of the changed input were left: $left"

# Unchanged now: the next run does it whole, as a run that was never disturbed does.
"$cli" "${args[@]}" >"$work/rerun.log" 2>&1 || fail "the rerun failed: $(cat "$work/rerun.log")"
grep -q "^ok     $work/frames -> $work/out/frames.csv (60 frames" "$work/rerun.log" ||
  fail "the rerun did not do the 60 frames: $(cat "$work/rerun.log")"

# The run's own outputs written among the frames (-o the frame folder) are not a change.
"$cli" aus --frames "$work/frames" -o "$work/frames" -w 2 --models "$shared/models/openface" \
  --progress none --hog >"$work/inside.log" 2>&1 ||
  fail "writing into the frame folder failed: $(cat "$work/inside.log")"
[ -f "$work/frames/frames.csv" ] && [ -f "$work/frames/frames.hog" ] ||
  fail "the outputs written into the frame folder are missing: $(ls "$work/frames" | tail -3)"
echo "changed_input_test: ok"
